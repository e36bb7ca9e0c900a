{#- Which person each device belongs to: its latest login at or before as_of (a greatest
    (time, event_id), one aggregate), else the one person an e-mail or phone on its
    logged-out events names. A person keeps its first segmart_identity_max_devices devices;
    a later one is over the limit and stays its own person (docs/identity.md). -#}
with

events as (

    select
        event_id,
        occurred_at,
        anonymous_id,
        user_id
    from {{ ref('stg_tracking__events') }}
    where anonymous_id is not null and user_id is not null

),

contact_events as (

    -- logged-out events that carry an identifier: a newsletter click, a guest checkout
    select
        event_id,
        occurred_at,
        anonymous_id,
        email_sha256,
        phone_sha256
    from {{ ref('stg_tracking__events') }}
    where
        anonymous_id is not null
        and user_id is null
        and (email_sha256 is not null or phone_sha256 is not null)

),

value_owners as (

    -- a value held by exactly one person (within its merge limits) names that person
    select
        identifier_type,
        identifier_value,
        min(person_id) as person_id
    from {{ ref('int_identity_person_values') }}
    where not is_over_limit
    group by identifier_type, identifier_value
    having count(distinct person_id) = 1

),

as_of as (

    select as_of from {{ ref('int_as_of_resolved') }}

),

visible as (

    select events.*
    from events
    inner join as_of
        on events.occurred_at <= as_of.as_of

),

logins as (

    select
        anonymous_id,
        min(occurred_at) as first_identified_at,
        max(occurred_at) as last_identified_at,
        count(distinct user_id) as count_users_seen,
        -- the latest login; the greatest event_id breaks a tie
        max_by(user_id, {{ ordered_tuple(['occurred_at', 'event_id']) }}) as user_id,
        'login' as matched_by
    from visible
    group by anonymous_id

),

contacts as (

    select
        contact_events.anonymous_id,
        min(contact_events.occurred_at) as first_identified_at,
        max(contact_events.occurred_at) as last_identified_at,
        count(distinct value_owners.person_id) as count_users_seen,
        max_by(
            value_owners.person_id,
            {{ ordered_tuple(['contact_events.occurred_at', 'contact_events.event_id']) }}
        ) as user_id,
        max_by(
            value_owners.identifier_type,
            {{ ordered_tuple(['contact_events.occurred_at', 'contact_events.event_id']) }}
        ) as matched_by
    from contact_events
    inner join as_of
        on contact_events.occurred_at <= as_of.as_of
    inner join value_owners
        on
            (
                value_owners.identifier_type = 'email'
                and contact_events.email_sha256 = value_owners.identifier_value
            )
            or (
                value_owners.identifier_type = 'phone'
                and contact_events.phone_sha256 = value_owners.identifier_value
            )
    group by contact_events.anonymous_id

),

devices as (

    -- a login wins over an identifier on a logged-out event
    select * from logins
    union all
    select contacts.*
    from contacts
    left join logins
        on contacts.anonymous_id = logins.anonymous_id
    where logins.anonymous_id is null

),

ranked as (

    select
        *,
        row_number() over (
            partition by user_id
            order by first_identified_at asc, anonymous_id asc
        ) as device_rank
    from devices

),

final as (

    select
        anonymous_id,
        user_id,
        first_identified_at,
        last_identified_at,
        count_users_seen,
        count_users_seen > 1 as is_shared_device,
        matched_by,
        device_rank,
        device_rank > {{ positive_var('segmart_identity_max_devices', 1) }} as is_over_limit
    from ranked

)

select * from final
