with

order_lines as (

    select * from {{ ref('base_shop__order_lines') }}
    where reject_reason is null

),

statuses as (

    select * from {{ ref('order_statuses') }}

),

final as (

    select
        order_lines.order_id || '-' || cast(order_lines.line_number as string)
            as order_line_id,
        order_lines.order_id,
        order_lines.line_number,
        order_lines.user_id,
        order_lines.ordered_at,
        order_lines.product_id,
        order_lines.category,
        order_lines.quantity,
        order_lines.unit_price,
        order_lines.unit_price = 0 as is_free_item,
        {{ money('order_lines.quantity * order_lines.unit_price') }} as line_revenue,
        order_lines.status,
        statuses.counts_as_purchase as is_completed,
        order_lines.source_file
    from order_lines
    inner join statuses
        on order_lines.status = statuses.status

)

select * from final
