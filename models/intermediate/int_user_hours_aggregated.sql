{#- One row per person and UTC hour with events: that hour's activity_measures. An hour does
    not depend on as_of, so the table is incremental (changed_groups): hours with newly written
    events and those whose event count changed; an emptied hour is deleted by the post-hook.
    docs/incremental.md -#}
{{ config(
    unique_key=['user_id', 'hour_started_at'],
    on_schema_change='fail',
    post_hook=[
        "{{ incremental_delete('count_events = 0') }}",
    ],
    **event_table_config()
) }}

{%- set hour_started_at = dbt.date_trunc('hour', 'occurred_at') %}

with

events as (

    -- int_events_sessionized is read where it is needed, not through one CTE: DuckDB
    -- materializes a CTE that is read more than once, here every event with every column
    select
        *,
        {{ hour_started_at }} as hour_started_at
    from {{ ref('int_events_sessionized') }}

),

{% if is_incremental() %}
changed_hours as (

    -- hours with events written since this table's last build, and stored hours that lost
    -- events (re-stitched away from the person, or deleted upstream)
    {{ changed_groups(ref('int_events_sessionized'),
                      [('user_id', 'user_id'), ('hour_started_at', hour_started_at)]) }}

),

{% endif %}
batch as (

    select events.*
    from events
    {%- if is_incremental() %}
    inner join changed_hours
        on events.user_id = changed_hours.user_id
            and events.hour_started_at = changed_hours.hour_started_at
    {%- endif %}

),

aggregated as (

    select
        user_id,
        hour_started_at,
        {{- activity_aggregates() }},
        max(sessionized_at) as sessionized_at
    from batch
    group by 1, 2

),

final as (

    select * from aggregated
    {%- if is_incremental() %}
    union all
    -- an hour left without events replaces its stored row with an empty one, which the
    -- post-hook deletes
    select
        changed_hours.user_id,
        changed_hours.hour_started_at,
        {%- for measure in activity_measures() %}
            {{ '0' if measure.name == 'count_events' else 'null' }} as {{ measure.name }},
        {%- endfor %}
        null as sessionized_at
    from changed_hours
    left join aggregated
        on changed_hours.user_id = aggregated.user_id
            and changed_hours.hour_started_at = aggregated.hour_started_at
    where aggregated.user_id is null
    {%- endif %}

)

select * from final
