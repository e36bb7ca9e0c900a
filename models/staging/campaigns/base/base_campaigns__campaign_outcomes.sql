{#- Every raw campaign outcome, typed, with the reason it is rejected (null when valid).
    Stored, not a view, so its readers and their tests do not parse the files again; rebuilt
    in full each time (the outcome files are small). -#}
{{ config(materialized='table') }}
with

source as (

    {{ landing_select(source('campaigns', 'campaign_outcomes'), 'campaign_outcomes',
        ['user_id', 'segment', 'converted_at'], optional=true) }}

),

typed as (

    select
        {{ clean_identity('source.user_id') }} as user_id,
        nullif(lower(trim(cast(source.segment as string))), '') as segment,
        {{ landed_timestamp('source.converted_at') }} as converted_at,
        cast(source.filename as string) as source_file
    from source

),

kept as (

    -- rows of erased persons are dropped here, before anything can store them;
    -- data_quality_row_counts counts them as erased
    {{ without_erased('typed', ['user_id']) }}

),

final as (

    select
        *,
        case
            when user_id is null then 'missing_user_id'
            when segment is null then 'missing_segment'
            when converted_at is null then 'missing_converted_at'
        end as reject_reason
    from kept

)

select * from final
