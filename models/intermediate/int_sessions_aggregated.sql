{#- One row per session: when and where it started (UTC and the person's local time), how
    long it lasted and what happened in it. Incremental on session_id (changed_groups): the
    sessions with newly written events and those whose event count changed; an emptied one is
    deleted by the post-hook. docs/incremental.md -#}
{{ config(
    unique_key='session_id',
    on_schema_change='fail',
    post_hook=[
        "{{ incremental_delete('count_events = 0') }}",
    ],
    **event_table_config()
) }}

with

events as (

    -- int_events_sessionized is read where it is needed, not through one CTE: DuckDB
    -- materializes a CTE that is read more than once, here every event with every column
    select * from {{ ref('int_events_sessionized') }}

),

{% if is_incremental() %}
changed_sessions as (

    -- sessions with events written since this table's last build, and stored sessions that
    -- lost events (re-stitched away, re-sessionized, or deleted upstream)
    {{ changed_groups(ref('int_events_sessionized'), [('session_id', 'session_id')]) }}

),

{% endif %}
batch as (

    select events.*
    from events
    {%- if is_incremental() %}
    inner join changed_sessions
        on events.session_id = changed_sessions.session_id
    {%- endif %}

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
        max(case when is_session_start then channel end) as channel,
        max(sessionized_at) as sessionized_at
    from batch
    group by session_id, user_id

),

sessions as (

    select
        session_id,
        user_id,
        started_at,
        ended_at,
        started_at_local,
        {{ hour_of_day('started_at_local') }} as started_local_hour,
        {{ is_part_of_day(hour_of_day('started_at_local'), 'morning') }} as is_morning_start,
        {{ is_part_of_day(hour_of_day('started_at_local'), 'evening') }} as is_evening_start,
        {{ seconds_between('started_at', 'ended_at') }} as duration_seconds,
        count_events,
        count_product_views,
        count_add_to_carts,
        device_type,
        channel,
        sessionized_at
    from aggregated

),

final as (

    select * from sessions
    {%- if is_incremental() %}
    union all
    -- a session left without events replaces its stored row with an empty one, which the
    -- post-hook deletes
    select
        changed_sessions.session_id,
        null as user_id,
        null as started_at,
        null as ended_at,
        null as started_at_local,
        null as started_local_hour,
        null as is_morning_start,
        null as is_evening_start,
        null as duration_seconds,
        0 as count_events,
        null as count_product_views,
        null as count_add_to_carts,
        null as device_type,
        null as channel,
        null as sessionized_at
    from changed_sessions
    left join aggregated
        on changed_sessions.session_id = aggregated.session_id
    where aggregated.session_id is null
    {%- endif %}

)

select * from final
