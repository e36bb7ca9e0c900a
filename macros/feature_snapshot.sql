{#- user_features as it was days_before days before as_of: user_features' own query (macros
    user_features_at, user_days_at) over its inputs cut at that time. Hours, events, sessions
    and completed orders up to it; a session running across it lasts only to its last event
    before it; order day buckets count back from it (docs/propensity.md). -#}
{% macro feature_snapshot(days_before) %}
with

snapshot_as_of as (

    select {{ dbt.dateadd('day', -days_before, 'as_of') }} as as_of
    from {{ ref('int_as_of_resolved') }}

),

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

snapshot_days as (

    {{ user_days_at(
        as_of='snapshot_as_of',
        hours='snapshot_hours',
        events='snapshot_events',
        sessions='snapshot_sessions',
        orders='snapshot_orders',
    ) | indent(4) }}

),

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
