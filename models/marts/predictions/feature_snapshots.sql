{#- user_features as they were at two earlier times, as_of - H and as_of - 2H (H =
    segmart_propensity_horizon_days), with what each person did in the H days after: the
    training and validation rows of the propensity models. Each snapshot is user_features'
    own query (macros user_features_at, user_days_at) over its inputs cut at the snapshot
    time: hours, events, sessions and orders up to it, and a session running across it
    lasting only to its last event before it (docs/propensity.md). -#}
{%- set horizon = positive_var('segmart_propensity_horizon_days') %}
{%- set snapshots = [1, 2] %}

with

as_of as (

    select as_of from {{ ref('int_as_of_resolved') }}

),

snapshot_persons as (

    select user_id from {{ ref('user_profiles') }}

),

-- what happened after each snapshot: the day buckets (k-1)H <= d < kH of the day table at
-- as_of are exactly (as_of - kH, as_of - (k-1)H]
outcomes as (

    select
        user_id,
        {%- for k in snapshots %}
            sum(
                case
                    when days_before_as_of >= {{ (k - 1) * horizon }}
                        and days_before_as_of < {{ k * horizon }}
                        then count_orders
                    else 0
                end
            ) as count_orders_after_{{ k }},
            sum(
                case
                    when days_before_as_of >= {{ (k - 1) * horizon }}
                        and days_before_as_of < {{ k * horizon }}
                        then count_events + count_orders
                    else 0
                end
            ) as count_activity_after_{{ k }},
        {%- endfor %}
        count(*) as count_days
    from {{ ref('int_user_days_aggregated') }}
    group by 1

),
{%- for k in snapshots %}

snapshot_as_of_{{ k }} as (

    select {{ dbt.dateadd('day', -k * horizon, 'as_of') }} as as_of
    from as_of

),

snapshot_hours_{{ k }} as (

    -- an hour of another hour of day than the snapshot's lies wholly before or after it
    select hours.*
    from {{ ref('int_user_hours_aggregated') }} as hours
    inner join snapshot_as_of_{{ k }} as snapshot
        on hours.hour_started_at < snapshot.as_of

),

snapshot_events_{{ k }} as (

    select events.*
    from {{ ref('int_events_sessionized') }} as events
    inner join snapshot_as_of_{{ k }} as snapshot
        on events.occurred_at <= snapshot.as_of

),

crossing_sessions_{{ k }} as (

    -- sessions running across the snapshot end, then, at their last event before it
    select
        events.session_id,
        max(events.occurred_at) as last_event_at
    from {{ ref('int_events_sessionized') }} as events
    inner join snapshot_as_of_{{ k }} as snapshot
        on events.occurred_at <= snapshot.as_of
    inner join {{ ref('int_sessions_aggregated') }} as sessions
        on events.session_id = sessions.session_id
            and sessions.ended_at > snapshot.as_of
    group by 1

),

snapshot_sessions_{{ k }} as (

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
    inner join snapshot_as_of_{{ k }} as snapshot
        on sessions.started_at <= snapshot.as_of
    left join crossing_sessions_{{ k }} as crossing
        on sessions.session_id = crossing.session_id

),

snapshot_orders_{{ k }} as (

    select
        orders.order_id,
        orders.user_id,
        orders.ordered_at,
        orders.ordered_date,
        {{ whole_days_between('orders.ordered_at', 'snapshot.as_of') }} as days_before_as_of,
        orders.is_morning,
        orders.is_evening,
        orders.total_revenue,
        orders.count_free_item_lines
    from {{ ref('int_orders_aggregated') }} as orders
    inner join snapshot_as_of_{{ k }} as snapshot
        on orders.ordered_at <= snapshot.as_of

),

snapshot_days_{{ k }} as (

    {{ user_days_at(
        as_of='snapshot_as_of_' ~ k,
        hours='snapshot_hours_' ~ k,
        events='snapshot_events_' ~ k,
        sessions='snapshot_sessions_' ~ k,
        orders='snapshot_orders_' ~ k,
    ) | indent(4) }}

),

snapshot_features_{{ k }} as (

    {{ user_features_at(
        as_of='snapshot_as_of_' ~ k,
        persons='snapshot_persons',
        user_days='snapshot_days_' ~ k,
        orders='snapshot_orders_' ~ k,
    ) | indent(4) }}

),

labelled_{{ k }} as (

    -- persons with some activity by the snapshot time: the ones a model could have scored
    select
        {{ k }} as snapshot,
        features.*,
        cast(coalesce(outcomes.count_orders_after_{{ k }}, 0) as bigint)
            as count_orders_after,
        cast(coalesce(outcomes.count_activity_after_{{ k }}, 0) as bigint)
            as count_activity_after
    from snapshot_features_{{ k }} as features
    left join outcomes
        on features.user_id = outcomes.user_id
    where features.last_activity_at is not null

),
{%- endfor %}

final as (

    {%- for k in snapshots %}
    select
        *,
        {{ horizon }} as horizon_days
    from labelled_{{ k }}
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}

)

select * from final
