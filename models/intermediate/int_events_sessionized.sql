{#- One row per stitched event with its session: a gap of more than
    segmart_session_gap_minutes starts one, and one is cut every segmart_session_max_minutes.
    Sessions come from a narrow projection joined back to the events' attributes. Incremental
    on event_id, per changed person from their earliest change: docs/incremental.md. -#}
{{ config(
    unique_key='event_id',
    on_schema_change='fail',
    post_hook=["{{ incremental_delete(missing_from(ref('int_events_stitched'), 'event_id')) }}"],
    **event_table_config()
) }}
{%- set gap_seconds = positive_var('segmart_session_gap_minutes') * 60 %}
{%- set max_seconds = positive_var('segmart_session_max_minutes') * 60 %}
{#- DuckDB computes a CTE that is read twice once (it materializes it), so `sessions` takes
    the first slice of every gap run from the run and sorts only the later slices again; an
    engine that inlines CTEs (Spark) would run the gap windows twice for that, so there every
    event goes through the slice window (the first branch is empty) -#}
{%- set first_slices_from_runs = 'true' if target.type == 'duckdb' else 'false' %}

with

stitched_events as (

    select * from {{ ref('int_events_stitched') }}

),

staged_events as (

    select * from {{ ref('stg_tracking__events') }}

),

{% if is_incremental() %}
rewritten as (

    -- the stitched events written since this table's newest stitched_at (new and late
    -- events, re-stitched devices, re-zoned persons, another copy of an event chosen in
    -- staging): only these can differ from the stored copy
    select
        event_id,
        user_id,
        occurred_at,
        time_zone,
        staged_at
    from {{ ref('int_events_stitched') }}
    where stitched_at > {{ newest_stored('stitched_at') }}

),

changed_events as (

    -- gained, re-stitched to another person, moved in time or in time zone, or staged
    -- again after the stored copy was written: staging chose the event's copy again (one
    -- from a file that sorts first but landed later, or another person's after an erasure),
    -- whose values the stored row may lack; a re-delivery of the same copy is rewritten
    -- too, harmlessly. Comparing staged_at with the stored stitched_at (one clock: the
    -- build's start) finds those without reading every stored event's values
    select
        rewritten.user_id as user_id_now,
        rewritten.occurred_at as occurred_at_now,
        stored.user_id as user_id_stored,
        stored.occurred_at as occurred_at_stored
    from rewritten
    left join {{ this }} as stored
        on rewritten.event_id = stored.event_id
    where stored.event_id is null
        or stored.user_id != rewritten.user_id
        or stored.occurred_at != rewritten.occurred_at
        or stored.time_zone is distinct from rewritten.time_zone
        or rewritten.staged_at > stored.stitched_at

),

moves as (

    -- +1 for the person an event now belongs to, -1 for the one it was stored under
    select
        user_id_now as user_id,
        1 as moved
    from changed_events
    where user_id_stored is null or user_id_stored != user_id_now
    union all
    select
        user_id_stored as user_id,
        -1 as moved
    from changed_events
    where user_id_stored is not null and user_id_stored != user_id_now

),

moved_counts as (

    select
        user_id,
        sum(moved) as moved
    from moves
    group by user_id

),

stored_counts as (

    select
        user_id,
        count(*) as count_events
    from {{ this }}
    group by user_id

),

current_counts as (

    select
        user_id,
        count(*) as count_events
    from {{ ref('int_events_stitched') }}
    group by user_id

),

emptied_persons as (

    -- persons who lost events upstream without their going to anyone (deleted after an
    -- earlier as_of, erased): what they had, plus what they gained, minus what moved away,
    -- is more than they have; their whole history is sessionized again
    select
        stored_counts.user_id,
        cast('1900-01-01' as timestamp) as occurred_at
    from stored_counts
    left join current_counts
        on stored_counts.user_id = current_counts.user_id
    left join moved_counts
        on stored_counts.user_id = moved_counts.user_id
    where stored_counts.count_events + coalesce(moved_counts.moved, 0)
        != coalesce(current_counts.count_events, 0)

),

changes as (

    -- a change counts for the person who has the event now and for the one who had it
    select
        user_id_now as user_id,
        occurred_at_now as occurred_at
    from changed_events
    union all
    select
        user_id_stored as user_id,
        occurred_at_stored as occurred_at
    from changed_events
    where user_id_stored is not null
    union all
    select
        user_id,
        occurred_at
    from emptied_persons

),

changed_persons as (

    select
        user_id,
        min(occurred_at) as changed_from
    from changes
    group by user_id

),

sessionize_from as (

    -- the person's events before changed_from are the stored ones, with their stored runs:
    -- sessionizing from the start of the last one's gap run gives every later event the
    -- session a full pass gives it (no stored event before: changed_from itself)
    select
        changed_persons.user_id,
        coalesce(max(stored.gap_run_started_at), min(changed_persons.changed_from))
            as sessionize_from
    from changed_persons
    left join {{ this }} as stored
        on changed_persons.user_id = stored.user_id
            and stored.occurred_at < changed_persons.changed_from
    group by changed_persons.user_id

),

{% endif %}
events as (

    select
        stitched.event_id,
        stitched.user_id,
        stitched.occurred_at
    -- read here and in current_counts, not from one shared CTE: DuckDB would materialize
    -- every stitched event to hand it to both
    from {{ ref('int_events_stitched') }} as stitched
    {%- if is_incremental() %}
    inner join sessionize_from
        on stitched.user_id = sessionize_from.user_id
            and stitched.occurred_at >= sessionize_from.sessionize_from
    {%- endif %}

),

with_previous as (

    select
        *,
        lag(occurred_at) over (
            partition by user_id order by occurred_at, event_id
        ) as previous_occurred_at
    from events

),

gap_flagged as (

    select
        *,
        case
            when previous_occurred_at is null then 1
            when {{ seconds_between('previous_occurred_at', 'occurred_at') }} > {{ gap_seconds }}
                then 1
            else 0
        end as starts_gap_session
    from with_previous

),

gap_sessions as (

    -- events are in time order, so the latest gap start so far is the run's start
    select
        *,
        max(case when starts_gap_session = 1 then occurred_at end) over (
            partition by user_id
            order by occurred_at, event_id
            rows between unbounded preceding and current row
        ) as gap_session_started_at
    from gap_flagged

),

length_capped as (

    select
        *,
        cast(floor(
            {{ seconds_between('gap_session_started_at', 'occurred_at') }} / {{ max_seconds }}
        ) as integer) as length_split_number
    from gap_sessions

),

sessions as (

    -- a session is a length slice of a gap run. The first slice starts with the run: its
    -- first event and start are the run's (almost every session: few runs are longer than
    -- segmart_session_max_minutes). A later slice's events are consecutive in the person's
    -- timeline (runs start at distinct times, slices only grow along a run), so it is one
    -- window partition, and its first event starts it; only these rows are sorted again
    -- where first_slices_from_runs (above)
    select
        event_id,
        gap_session_started_at,
        starts_gap_session = 1 as is_session_start,
        gap_session_started_at as session_started_at
    from length_capped
    where length_split_number = 0 and {{ first_slices_from_runs }}
    union all
    select
        event_id,
        gap_session_started_at,
        row_number() over slice_events = 1 as is_session_start,
        min(occurred_at) over slice_events as session_started_at
    from length_capped
    where length_split_number > 0 or not {{ first_slices_from_runs }}
    window slice_events as (
        partition by user_id, gap_session_started_at, length_split_number
        order by occurred_at, event_id
        rows between unbounded preceding and current row
    )

),

final as (

    select
        stitched_events.event_id,
        stitched_events.user_id,
        md5(stitched_events.user_id || '|' || cast(sessions.session_started_at as string))
            as session_id,
        sessions.session_started_at,
        sessions.is_session_start,
        sessions.gap_session_started_at as gap_run_started_at,
        stitched_events.is_identified,
        staged_events.event_type,
        stitched_events.occurred_at,
        stitched_events.occurred_at_local,
        stitched_events.time_zone,
        staged_events.product_id,
        staged_events.category,
        staged_events.price,
        staged_events.quantity,
        staged_events.device_type,
        staged_events.channel,
        staged_events.country,
        staged_events.engagement_ms,
        stitched_events.stitched_at,
        -- the build that (re)wrote the row: readers take what changed since their last build
        {{ build_started_at() }} as sessionized_at
    from sessions
    inner join stitched_events
        on sessions.event_id = stitched_events.event_id
    -- the event's own attributes, which int_events_stitched does not copy (left join: an
    -- event missing there would show as nulls the not_null tests catch, not vanish)
    left join staged_events
        on sessions.event_id = staged_events.event_id
    {%- if is_incremental() %}
    -- events before a person's earliest change keep their stored session
    inner join changed_persons
        on stitched_events.user_id = changed_persons.user_id
    where stitched_events.occurred_at >= changed_persons.changed_from
    {%- endif %}

)

select * from final
