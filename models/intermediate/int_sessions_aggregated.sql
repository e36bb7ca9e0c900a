{#- One row per session: when and where it started (UTC and the person's local time), how
    long it lasted and what happened in it. -#}
with

events as (

    select * from {{ ref('int_events_sessionized') }}

),

as_of as (

    select as_of from {{ ref('int_as_of_resolved') }}

),

aggregated as (

    select
        session_id,
        user_id,
        min(occurred_at) as started_at,
        max(occurred_at) as ended_at,
        min(occurred_at_local) as started_at_local,
        count(*) as count_events,
        sum(case when event_type = 'product_view' then 1 else 0 end) as count_product_views,
        sum(case when event_type = 'add_to_cart' then 1 else 0 end) as count_add_to_carts,
        max(case when is_session_start then device_type end) as device_type,
        max(case when is_session_start then channel end) as channel
    from events
    group by session_id, user_id

),

final as (

    select
        aggregated.session_id,
        aggregated.user_id,
        aggregated.started_at,
        aggregated.ended_at,
        aggregated.started_at_local,
        {{ hour_of_day('aggregated.started_at_local') }} as started_local_hour,
        {{ is_part_of_day(hour_of_day('aggregated.started_at_local'), 'morning') }}
            as is_morning_start,
        {{ is_part_of_day(hour_of_day('aggregated.started_at_local'), 'evening') }}
            as is_evening_start,
        {{ whole_days_between('aggregated.started_at', 'as_of.as_of') }} as days_before_as_of,
        {{ seconds_between('aggregated.started_at', 'aggregated.ended_at') }}
            as duration_seconds,
        aggregated.count_events,
        aggregated.count_product_views,
        aggregated.count_add_to_carts,
        aggregated.device_type,
        aggregated.channel
    from aggregated
    cross join as_of

)

select * from final
