{#- Every stitched event with its session. A new session starts when the gap to the person's
    previous event is more than segmart_session_gap_minutes; a session is also cut every
    segmart_session_max_minutes from its start, so none is longer than that.

    Incremental (delete+insert on event_id; on plain Spark a full table, see
    event_table_config): a build re-sessionizes the whole history of
    every person whose events changed in int_events_stitched (new, late, re-stitched to or
    away from them, moved in local time), so a session that spans two builds is one session,
    exactly as a full refresh makes it. Events no longer in int_events_stitched are deleted
    by the post-hook. -#}
{{ config(
    unique_key='event_id',
    on_schema_change='fail',
    post_hook=[
        "{{ delete_rows(this, 'event_id not in (select event_id from '
            ~ ref('int_events_stitched') ~ ')') if is_incremental() else 'select 1' }}",
    ],
    **event_table_config()
) }}
{%- set gap_seconds = positive_var('segmart_session_gap_minutes') * 60 %}
{%- set max_seconds = positive_var('segmart_session_max_minutes') * 60 %}

with

stitched as (

    select * from {{ ref('int_events_stitched') }}

),

{% if is_incremental() %}
changed_persons as (

    -- persons who gained an event, or whose event moved in time zone
    select stitched.user_id
    from stitched
    left join {{ this }} as stored
        on stitched.event_id = stored.event_id
    where stored.event_id is null
        or stored.user_id != stitched.user_id
        or stored.time_zone is distinct from stitched.time_zone
    union
    -- persons who lost an event (re-stitched away from them, or gone)
    select stored.user_id
    from {{ this }} as stored
    left join stitched
        on stored.event_id = stitched.event_id
    where stitched.event_id is null
        or stored.user_id != stitched.user_id

),

{% endif %}
events as (

    select stitched.*
    from stitched
    {% if is_incremental() -%}
        inner join changed_persons
            on stitched.user_id = changed_persons.user_id
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

    select
        *,
        sum(starts_gap_session) over (
            partition by user_id
            order by occurred_at, event_id
            rows between unbounded preceding and current row
        ) as gap_session_number
    from gap_flagged

),

gap_session_starts as (

    select
        *,
        min(occurred_at) over (
            partition by user_id, gap_session_number
        ) as gap_session_started_at
    from gap_sessions

),

length_capped as (

    select
        *,
        cast(floor(
            {{ seconds_between('gap_session_started_at', 'occurred_at') }} / {{ max_seconds }}
        ) as integer) as length_split_number
    from gap_session_starts

),

sessions as (

    select
        *,
        min(occurred_at) over (
            partition by user_id, gap_session_number, length_split_number
        ) as session_started_at
    from length_capped

),

final as (

    select
        event_id,
        user_id,
        md5(user_id || '|' || cast(session_started_at as string)) as session_id,
        session_started_at,
        occurred_at = session_started_at
        and row_number() over (
            partition by user_id, session_started_at order by occurred_at, event_id
        ) = 1 as is_session_start,
        is_identified,
        anonymous_id,
        login_user_id,
        event_type,
        occurred_at,
        occurred_at_local,
        time_zone,
        page_path,
        product_id,
        category,
        price,
        quantity,
        device_type,
        channel,
        country,
        engagement_ms
    from sessions

)

select * from final
