{#-
    Every raw order line, typed, with the reason it is rejected (null when it is valid).
    A repeated order_id + line_number is rejected as duplicate_order_line after the first
    valid copy (first file by name, then earliest).

    Stored, not a view: half a dozen models and a dozen tests read the order lines, and the
    files are then parsed once per build. Rebuilt in full each time (order files are small
    next to the events; an erasure request therefore needs nothing more).
-#}
{{ config(materialized='table') }}

with

source as (

    {{ landing_select(source('shop', 'orders'), 'orders', [
        'order_id', 'line_number', 'user_id', 'ordered_at', 'product_id', 'category',
        'quantity', 'unit_price', 'status',
    ]) }}

),

statuses as (

    select status from {{ ref('order_statuses') }}

),

typed as (

    select
        nullif(trim(cast(source.order_id as string)), '') as order_id,
        cast(source.line_number as string) as line_number_raw,
        {{ dbt.safe_cast('source.line_number', 'integer') }} as line_number,
        {{ clean_identity('source.user_id') }} as user_id,
        cast(source.ordered_at as string) as ordered_at_raw,
        {{ landed_timestamp('source.ordered_at') }} as ordered_at,
        nullif(trim(cast(source.product_id as string)), '') as product_id,
        nullif(trim(cast(source.category as string)), '') as category,
        cast(source.quantity as string) as quantity_raw,
        {{ dbt.safe_cast('source.quantity', 'integer') }} as quantity,
        cast(source.unit_price as string) as unit_price_raw,
        {{ dbt.safe_cast('source.unit_price', 'double') }} as unit_price,
        lower(trim(cast(source.status as string))) as status,
        cast(source.filename as string) as source_file
    from source

),

kept as (

    -- rows of erased persons are dropped here, before anything can store them;
    -- data_quality_row_counts counts them as erased
    {{ without_erased('typed', ['user_id']) }}

),

checked as (

    select
        kept.*,
        case
            when kept.order_id is null then 'missing_order_id'
            when kept.line_number is null then 'missing_line_number'
            when kept.user_id is null then 'missing_user_id'
            when kept.ordered_at_raw is null then 'missing_ordered_at'
            -- tested only where the time did not parse (CASE and AND skip the other rows)
            when kept.ordered_at is null and {{ landed_epoch_out_of_range('kept.ordered_at_raw') }}
                then 'out_of_range_ordered_at'
            when kept.ordered_at is null then 'unparseable_ordered_at'
            when kept.ordered_at > {{ dbt.dateadd(
                'hour', var('segmart_future_tolerance_hours'), build_started_at()
            ) }} then 'ordered_in_future'
            when kept.quantity is null then 'unparseable_quantity'
            when kept.quantity <= 0 then 'invalid_quantity'
            when kept.unit_price is null then 'unparseable_unit_price'
            -- a price of zero is valid: a gift, a sample, a 100 %-off coupon
            when kept.unit_price < 0 then 'negative_unit_price'
            when statuses.status is null then 'unknown_status'
        end as row_reject_reason
    from kept
    left join statuses
        on kept.status = statuses.status

),

numbered as (

    select
        *,
        row_number() over (
            partition by order_id, line_number, row_reject_reason is null
            order by source_file, ordered_at, status, product_id, quantity, unit_price
        ) as copy_number
    from checked

),

final as (

    select
        order_id,
        line_number_raw,
        line_number,
        user_id,
        ordered_at_raw,
        ordered_at,
        product_id,
        category,
        quantity_raw,
        quantity,
        unit_price_raw,
        unit_price,
        status,
        source_file,
        case
            when row_reject_reason is not null then row_reject_reason
            when copy_number > 1 then 'duplicate_order_line'
        end as reject_reason
    from numbered

)

select * from final
