with

outcomes as (

    select * from {{ ref('base_campaigns__campaign_outcomes') }}
    where reject_reason is null

),

final as (

    -- a person converts once per segment: the first conversion counts
    select
        user_id,
        segment,
        min(converted_at) as converted_at,
        count(*) as count_conversions
    from outcomes
    group by user_id, segment

)

select * from final
