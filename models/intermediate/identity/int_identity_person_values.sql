{#- One row per person and CRM e-mail or phone (salted hash) it carries, ranked by when the
    person first showed it. Per type, the first segmart_identity_max_emails /
    segmart_identity_max_phones values are kept; a later value would break the limit, so its
    edge is refused (is_over_limit): a new value never displaces an old one. -#}
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

person_values as (

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

ranked as (

    select
        *,
        row_number() over (
            partition by person_id, identifier_type
            order by first_seen_at, identifier_value
        ) as value_rank
    from person_values

),

final as (

    select
        person_id,
        identifier_type,
        identifier_value,
        user_id,
        first_seen_at,
        last_seen_at,
        value_rank,
        case identifier_type
            {%- for identifier_type, limit in limits.items() %}
                when '{{ identifier_type }}' then {{ limit }}
            {%- endfor %}
        end as value_limit,
        value_rank > case identifier_type
            {%- for identifier_type, limit in limits.items() %}
                when '{{ identifier_type }}' then {{ limit }}
            {%- endfor %}
        end as is_over_limit
    from ranked

)

select * from final
