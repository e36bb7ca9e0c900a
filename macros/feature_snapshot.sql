{#- Sessions and orders are cut at the snapshot time. The day buckets are as_of's, from
    days_before on and renumbered, less the seconds a session running across the snapshot
    time loses there; recompute_days groups the cut hours and events again instead. -#}
{% macro feature_snapshot(days_before, recompute_days=false) %}
with

snapshot_as_of as (

    select {{ dbt.dateadd('day', -days_before, 'as_of') }} as as_of
    from {{ ref('int_as_of_resolved') }}

),

crossing_sessions as (

    -- sessions running across the snapshot end, then, at their last event before it
    select
        events.session_id,
        max(events.occurred_at) as last_event_at
    from {{ ref('int_events_sessionized') }} as events
    inner join snapshot_as_of as cut
        on events.occurred_at <= cut.as_of
    inner join {{ ref('int_sessions_aggregated') }} as sessions
        on events.session_id = sessions.session_id
            and cut.as_of < sessions.ended_at
    group by 1

),

snapshot_sessions as (

    select
        sessions.session_id,
        sessions.user_id,
        sessions.started_at,
        sessions.is_morning_start,
        sessions.is_evening_start,
        case
            when crossing.session_id is null then sessions.duration_seconds
            else {{ seconds_between('sessions.started_at', 'crossing.last_event_at') }}
        end as duration_seconds
    from {{ ref('int_sessions_aggregated') }} as sessions
    inner join snapshot_as_of as cut
        on sessions.started_at <= cut.as_of
    left join crossing_sessions as crossing
        on sessions.session_id = crossing.session_id

),

snapshot_orders as (

    select
        orders.order_id,
        orders.user_id,
        orders.ordered_at,
        orders.ordered_date,
        {{ whole_days_between('orders.ordered_at', 'cut.as_of') }} as days_before_as_of,
        orders.is_morning,
        orders.is_evening,
        orders.total_revenue,
        orders.count_free_item_lines
    from {{ ref('int_orders_aggregated') }} as orders
    inner join snapshot_as_of as cut
        on orders.ordered_at <= cut.as_of

),
{% if recompute_days %}
snapshot_hours as (

    -- an hour of another hour of day than the snapshot's lies wholly before or after it
    select hours.*
    from {{ ref('int_user_hours_aggregated') }} as hours
    inner join snapshot_as_of as cut
        on hours.hour_started_at < cut.as_of

),

snapshot_events as (

    select events.*
    from {{ ref('int_events_sessionized') }} as events
    inner join snapshot_as_of as cut
        on events.occurred_at <= cut.as_of

),

snapshot_days as (

    {{ user_days_at(
        as_of='snapshot_as_of',
        hours='snapshot_hours',
        events='snapshot_events',
        sessions='snapshot_sessions',
        orders='snapshot_orders',
    ) | indent(4) }}

),
{% else %}
session_corrections as (

    -- what the cut takes off each bucket's session seconds: the part of a crossing session
    -- after its last event before the cut (in decimal, as the day table sums them)
    select
        sessions.user_id,
        {{ whole_days_between('sessions.started_at', 'as_of.as_of') }} as days_before_as_of,
        sum(
            cast(snapshot.duration_seconds as decimal(18, 6))
            - cast(sessions.duration_seconds as decimal(18, 6))
        ) as session_seconds_cut
    from snapshot_sessions as snapshot
    inner join crossing_sessions as crossing
        on snapshot.session_id = crossing.session_id
    inner join {{ ref('int_sessions_aggregated') }} as sessions
        on snapshot.session_id = sessions.session_id
    cross join {{ ref('int_as_of_resolved') }} as as_of
    group by 1, 2

),

snapshot_days as (

    -- bucket d before the snapshot is bucket d + days_before of as_of's day table, since
    -- both count back whole days; day_started_after and day_ended_at stay as they are
    select
        days.* replace (
            days.days_before_as_of - {{ days_before }} as days_before_as_of,
            days.total_session_seconds + coalesce(corrections.session_seconds_cut, 0)
                as total_session_seconds
        )
    from {{ ref('int_user_days_aggregated') }} as days
    left join session_corrections as corrections
        on days.user_id = corrections.user_id
            and days.days_before_as_of = corrections.days_before_as_of
    where days.days_before_as_of >= {{ days_before }}

),
{% endif %}
snapshot_features as (

    {{ user_features_at(
        as_of='snapshot_as_of',
        persons=ref('user_profiles'),
        user_days='snapshot_days',
        orders='snapshot_orders',
    ) | indent(4) }}

)

select * from snapshot_features
{% endmacro %}
