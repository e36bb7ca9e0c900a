{#- One row per person and e-mail or phone (salted hash) it carries: from its CRM records,
    and from its logged-in events at or before as_of. A login-only value any other person
    holds is refused (event_login). The rest rank CRM values first, then by first sight; per
    type the first segmart_identity_max_emails / _phones are kept, the rest refused. -#}
{%- set limits = {
    'email': positive_var('segmart_identity_max_emails', 1),
    'phone': positive_var('segmart_identity_max_phones', 1),
} %}

with

persons as (

    select
        user_id,
        person_id
    from {{ ref('int_identity_persons') }}

),

crm_identifiers as (

    select * from {{ ref('int_identity_crm_identifiers') }}
    where blocked_reason is null

),

as_of as (

    select as_of from {{ ref('int_as_of_resolved') }}

),

login_events as (

    select
        events.user_id,
        events.occurred_at,
        events.email_sha256,
        events.phone_sha256
    from {{ ref('stg_tracking__events') }} as events
    inner join as_of
        on events.occurred_at <= as_of.as_of
    where
        events.user_id is not null
        and (events.email_sha256 is not null or events.phone_sha256 is not null)

),

crm_values as (

    select
        persons.person_id,
        crm_identifiers.identifier_type,
        crm_identifiers.identifier_value,
        min(crm_identifiers.user_id) as user_id,
        min(crm_identifiers.first_seen_at) as first_seen_at,
        max(crm_identifiers.last_seen_at) as last_seen_at
    from crm_identifiers
    inner join persons
        on crm_identifiers.user_id = persons.user_id
    group by persons.person_id, crm_identifiers.identifier_type, crm_identifiers.identifier_value

),

login_identifiers as (

    select
        user_id,
        'email' as identifier_type,
        email_sha256 as identifier_value,
        occurred_at
    from login_events
    where email_sha256 is not null
    union all
    select
        user_id,
        'phone' as identifier_type,
        phone_sha256 as identifier_value,
        occurred_at
    from login_events
    where phone_sha256 is not null

),

login_values as (

    -- a login outside the CRM is a person of its own
    select
        coalesce(persons.person_id, login_identifiers.user_id) as person_id,
        login_identifiers.identifier_type,
        login_identifiers.identifier_value,
        min(login_identifiers.user_id) as user_id,
        min(login_identifiers.occurred_at) as first_seen_at,
        max(login_identifiers.occurred_at) as last_seen_at
    from login_identifiers
    left join persons
        on login_identifiers.user_id = persons.user_id
    group by
        coalesce(persons.person_id, login_identifiers.user_id),
        login_identifiers.identifier_type,
        login_identifiers.identifier_value

),

sourced as (

    select
        *,
        'crm' as value_source
    from crm_values
    union all
    select
        *,
        'login' as value_source
    from login_values

),

holders as (

    select
        identifier_type,
        identifier_value,
        count(distinct person_id) as count_persons
    from sourced
    group by identifier_type, identifier_value

),

person_values as (

    -- a value both in the CRM and on logins is the CRM's, seen over both
    select
        sourced.person_id,
        sourced.identifier_type,
        sourced.identifier_value,
        min(sourced.value_source) as value_source,
        min_by(sourced.user_id, sourced.value_source) as user_id,
        min(sourced.first_seen_at) as first_seen_at,
        max(sourced.last_seen_at) as last_seen_at,
        min(sourced.value_source) = 'login' and min(holders.count_persons) > 1 as is_held_elsewhere
    from sourced
    inner join holders
        on
            sourced.identifier_type = holders.identifier_type
            and sourced.identifier_value = holders.identifier_value
    group by sourced.person_id, sourced.identifier_type, sourced.identifier_value

),

ranked as (

    select
        *,
        -- ranked apart, so that values refused as held elsewhere take no rank
        row_number() over (
            partition by person_id, identifier_type, is_held_elsewhere
            order by value_source asc, first_seen_at asc, identifier_value asc
        ) as rank_in_group,
        case identifier_type
            {%- for identifier_type, limit in limits.items() %}
                when '{{ identifier_type }}' then {{ limit }}
            {%- endfor %}
        end as value_limit
    from person_values

),

final as (

    select
        person_id,
        identifier_type,
        identifier_value,
        user_id,
        value_source,
        first_seen_at,
        last_seen_at,
        case when not is_held_elsewhere then rank_in_group end as value_rank,
        value_limit,
        case
            when is_held_elsewhere then 'event_login'
            when rank_in_group > value_limit then 'value_limit'
        end as refused_rule,
        is_held_elsewhere or rank_in_group > value_limit as is_over_limit
    from ranked

)

select * from final
