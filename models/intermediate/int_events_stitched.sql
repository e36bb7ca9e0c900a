{#- One row per valid event at or before as_of with its person (user_id): the person of its
    own login, else of its device (int_identity_map), else the device id; a CRM record
    joined to others counts as their person (int_identity_persons); erased persons left
    out. Who and when only (the attributes stay in stg_tracking__events). Incremental on
    event_id: what a build rewrites, and why, in docs/incremental.md. -#}
{{ config(
    unique_key='event_id',
    on_schema_change='fail',
    pre_hook=["{{ incremental_delete(after_as_of('occurred_at')) }}"],
    post_hook=[
        "{{ incremental_delete(erased_rows_condition(
            this, ref('base_tracking__events'), login_column='login_user_id')) }}",
    ],
    **event_table_config()
) }}
-- depends_on: {{ ref('base_tracking__events') }}

with

events as (

    select * from {{ ref('stg_tracking__events') }}

),

persons as (

    -- only the records joined into another record's person
    select
        user_id,
        person_id
    from {{ ref('int_identity_persons') }}
    where user_id != person_id

),

identity_map as (

    select
        identity_map.anonymous_id,
        coalesce(persons.person_id, identity_map.user_id) as user_id
    from {{ ref('int_identity_map') }} as identity_map
    left join persons
        on identity_map.user_id = persons.user_id
    where not identity_map.is_over_limit

),

customers as (

    select
        user_id,
        time_zone
    from {{ ref('stg_crm__customers') }}

),

deletion_requests as (

    select user_id from {{ ref('stg_crm__erased_records') }}

),

as_of as (

    select as_of from {{ ref('int_as_of_resolved') }}

),

{% if is_incremental() %}
{#- the staging time of the newest stored event: what staging wrote after it is new here -#}
{%- set newest_staged_at = newest_stored('staged_at') %}
stored_devices as (

    -- the person each device's logged-out events went to in the stored build
    select distinct
        anonymous_id,
        user_id
    from {{ this }}
    where login_user_id is null and anonymous_id is not null

),

restitched_devices as (

    select stored_devices.anonymous_id
    from stored_devices
    left join identity_map
        on stored_devices.anonymous_id = identity_map.anonymous_id
    where stored_devices.user_id
        != coalesce(identity_map.user_id, stored_devices.anonymous_id)

),

remapped_logins as (

    -- logins whose person changed since the stored build (records joined or split)
    select stored_logins.login_user_id
    from (
        select distinct
            login_user_id,
            user_id
        from {{ this }}
        where login_user_id is not null
    ) as stored_logins
    left join persons
        on stored_logins.login_user_id = persons.user_id
    where stored_logins.user_id != coalesce(persons.person_id, stored_logins.login_user_id)

),

stored_time_zones as (

    select distinct
        user_id,
        time_zone
    from {{ this }}

),

rezoned_persons as (

    select stored_time_zones.user_id
    from stored_time_zones
    left join customers
        on stored_time_zones.user_id = customers.user_id
    where stored_time_zones.time_zone is distinct from customers.time_zone

),

stored_build as (

    select
        coalesce(
            {{ dbt.dateadd('day', '-' ~ positive_var('segmart_lookback_days', 0),
                           'max(occurred_at)') }},
            cast('1900-01-01' as timestamp)
        ) as batch_start,
        coalesce(max(occurred_at), cast('1900-01-01' as timestamp)) as newest_occurred_at
    from {{ this }}

),

restaged_events as (

    -- stored events that staging chose a copy of again since the stored build (another copy
    -- won: one from a file that sorts first but landed later, or another person's after an
    -- erasure; or the same copy was delivered again): the stored row may hold the old copy's
    -- values, so it is rewritten whatever its age. Not late events: their ids are stored.
    -- From the few events staged since to the stored ids, not the other way round
    select restaged.event_id
    from (
        select event_id
        from {{ ref('stg_tracking__events') }}
        where staged_at > {{ newest_staged_at }}
    ) as restaged
    inner join {{ this }} as stored
        on restaged.event_id = stored.event_id

),

batch_events as (

    -- the events to (re)write, cut here so the joins and local times below see the batch,
    -- not the history. Some of them (a device of a re-zoned person whose event carries
    -- another login) come out as stored: rewriting a row from current inputs is harmless
    select events.*
    from events
    where
        -- staged since the newest stored event's staging, and inside the lookback window
        (
            events.occurred_at > (select batch_start from stored_build)
            and events.staged_at > {{ newest_staged_at }}
        )
        -- after the newest stored event: staged long ago, but cut off by an earlier as_of
        or events.occurred_at > (select newest_occurred_at from stored_build)
        or events.event_id in (select event_id from restaged_events)
        or events.anonymous_id in (select anonymous_id from restitched_devices)
        or events.user_id in (select login_user_id from remapped_logins)
        or events.user_id in (select user_id from rezoned_persons)
        or events.anonymous_id in (select user_id from rezoned_persons)
        or events.anonymous_id in (
            select anonymous_id from identity_map
            where user_id in (select user_id from rezoned_persons)
        )

),
{% endif %}

stitched as (

    select
        events.event_id,
        coalesce(
            persons.person_id, events.user_id, identity_map.user_id, events.anonymous_id
        ) as user_id,
        events.user_id is not null or identity_map.user_id is not null as is_identified,
        events.anonymous_id,
        events.user_id as login_user_id,
        events.occurred_at,
        events.staged_at
    from {{ 'batch_events' if is_incremental() else 'events' }} as events
    inner join as_of
        on events.occurred_at <= as_of.as_of
    left join identity_map
        on events.anonymous_id = identity_map.anonymous_id
    left join persons
        on events.user_id = persons.user_id

),

final as (

    select
        stitched.*,
        customers.time_zone,
        {{ to_local_time('stitched.occurred_at', 'customers.time_zone') }} as occurred_at_local,
        -- the build that (re)wrote the row: int_events_sessionized compares only these
        {{ build_started_at() }} as stitched_at
    from stitched
    left join customers
        on stitched.user_id = customers.user_id
    left join deletion_requests
        on stitched.user_id = deletion_requests.user_id
    where deletion_requests.user_id is null

)

select * from final
