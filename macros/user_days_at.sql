{#- int_user_days_aggregated's query at any as_of: one row per person per day counted back
    from as_of over the given inputs. The check of the feature snapshots passes inputs cut
    at an earlier as_of, to rebuild a snapshot's day table from what was known then. -#}
{% macro user_days_at(as_of, hours, events, sessions, orders) %}
with

as_of as (

    select as_of from {{ as_of }}

),

hours as (

    -- an hour whose hour of day is not as_of's lies wholly in one bucket, its start's
    select
        hours.*,
        {{ whole_days_between('hours.hour_started_at', 'as_of.as_of') }} as days_before_as_of
    from {{ hours }} as hours
    cross join as_of
    where {{ hour_of_day('hours.hour_started_at') }} != {{ hour_of_day('as_of.as_of') }}

),

split_hour_events as (

    -- the hour of day as_of falls in: before and after as_of's minute and second its events
    -- belong to two different buckets. Counted here, not stored upstream: the event tables
    -- are incremental and must not change when as_of moves on
    select
        sessionized.*,
        {{ whole_days_between('sessionized.occurred_at', 'as_of.as_of') }} as days_before_as_of
    from {{ events }} as sessionized
    cross join as_of
    where {{ hour_of_day('sessionized.occurred_at') }} = {{ hour_of_day('as_of.as_of') }}

),

split_hours as (

    select
        user_id,
        days_before_as_of,
        {{- activity_aggregates() }}
    from split_hour_events
    group by 1, 2

),

sessions as (

    select
        sessions.user_id,
        sessions.is_morning_start,
        sessions.is_evening_start,
        sessions.duration_seconds,
        {{ whole_days_between('sessions.started_at', 'as_of.as_of') }} as days_before_as_of
    from {{ sessions }} as sessions
    cross join as_of

),

orders as (

    select * from {{ orders }}

),

partial_days as (

    select
        {%- for measure in activity_measures() %}
            {{ measure.name }},
        {%- endfor %}
        user_id,
        days_before_as_of
    from hours
    union all
    select
        {%- for measure in activity_measures() %}
            {{ measure.name }},
        {%- endfor %}
        user_id,
        days_before_as_of
    from split_hours

),

events_by_day as (

    select
        user_id,
        days_before_as_of,
        {{- activity_rollup() }}
    from partial_days
    group by 1, 2

),

sessions_by_day as (

    select
        user_id,
        days_before_as_of,
        count(*) as count_sessions_started,
        sum(case when is_morning_start then 1 else 0 end) as count_morning_sessions_started,
        sum(case when is_evening_start then 1 else 0 end) as count_evening_sessions_started,
        -- in decimal: a sum of doubles varies in its last bits with the order a parallel
        -- scan adds them in, and the kept Python models need the same features every build
        sum(cast(duration_seconds as decimal(18, 6))) as total_session_seconds
    from sessions
    group by 1, 2

),

orders_by_day as (

    select
        user_id,
        days_before_as_of,
        count(*) as count_orders,
        sum(total_revenue) as total_revenue,
        sum(case when is_morning then 1 else 0 end) as count_morning_orders,
        sum(case when is_evening then 1 else 0 end) as count_evening_orders,
        min(ordered_at) as first_order_at,
        max(ordered_at) as last_order_at
    from orders
    group by 1, 2

),

person_days as (

    select
        user_id,
        days_before_as_of
    from events_by_day
    union
    select
        user_id,
        days_before_as_of
    from sessions_by_day
    union
    select
        user_id,
        days_before_as_of
    from orders_by_day

),

final as (

    select
        person_days.user_id,
        person_days.days_before_as_of,
        {{ dbt.dateadd('day', '-1 - person_days.days_before_as_of', 'as_of.as_of') }}
            as day_started_after,
        {{ dbt.dateadd('day', '-person_days.days_before_as_of', 'as_of.as_of') }}
            as day_ended_at,
        -- orders come from the shop, which only knows logged-in customers
        coalesce(events_by_day.is_identified, false) or orders_by_day.user_id is not null
            as is_identified,
        {%- for measure in activity_measures() if measure.name != 'is_identified' %}
            {%- if measure.kind == 'sum' %}
                coalesce(events_by_day.{{ measure.name }}, 0) as {{ measure.name }},
            {%- else %}
                events_by_day.{{ measure.name }},
            {%- endif %}
        {%- endfor %}
        coalesce(sessions_by_day.count_sessions_started, 0) as count_sessions_started,
        coalesce(sessions_by_day.count_morning_sessions_started, 0)
            as count_morning_sessions_started,
        coalesce(sessions_by_day.count_evening_sessions_started, 0)
            as count_evening_sessions_started,
        coalesce(sessions_by_day.total_session_seconds, 0) as total_session_seconds,
        coalesce(orders_by_day.count_orders, 0) as count_orders,
        coalesce(orders_by_day.total_revenue, 0) as total_revenue,
        coalesce(orders_by_day.count_morning_orders, 0) as count_morning_orders,
        coalesce(orders_by_day.count_evening_orders, 0) as count_evening_orders,
        orders_by_day.first_order_at,
        orders_by_day.last_order_at,
        least(
            coalesce(events_by_day.first_event_at, orders_by_day.first_order_at),
            coalesce(orders_by_day.first_order_at, events_by_day.first_event_at)
        ) as first_activity_at,
        greatest(
            coalesce(events_by_day.last_event_at, orders_by_day.last_order_at),
            coalesce(orders_by_day.last_order_at, events_by_day.last_event_at)
        ) as last_activity_at
    from person_days
    cross join as_of
    left join events_by_day
        on person_days.user_id = events_by_day.user_id
            and person_days.days_before_as_of = events_by_day.days_before_as_of
    left join sessions_by_day
        on person_days.user_id = sessions_by_day.user_id
            and person_days.days_before_as_of = sessions_by_day.days_before_as_of
    left join orders_by_day
        on person_days.user_id = orders_by_day.user_id
            and person_days.days_before_as_of = orders_by_day.days_before_as_of

)

select * from final
{% endmacro %}
