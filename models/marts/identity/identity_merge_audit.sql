{#- One row per merge (two CRM records joined into one person) and per refused edge (a
    blocked or invalid value, a value shared by too many records, a component over the
    user_id limit, an e-mail, phone or device over its limit, a login's value that another
    person holds), with the rule and the limit.
    Hashed values only. -#}
{%- set max_user_ids = positive_var('segmart_identity_max_user_ids', 1) %}
{%- set max_devices = positive_var('segmart_identity_max_devices', 1) %}

with

persons as (

    select
        user_id,
        person_id,
        is_over_limit
    from {{ ref('int_identity_persons') }}

),

links as (

    select * from {{ ref('int_identity_links') }}

),

crm_identifiers as (

    select * from {{ ref('int_identity_crm_identifiers') }}

),

person_values as (

    select * from {{ ref('int_identity_person_values') }}
    where is_over_limit

),

devices as (

    select * from {{ ref('int_identity_map') }}
    where is_over_limit

),

value_holders as (

    select
        identifier_type,
        identifier_value,
        count(distinct user_id) as count_user_ids
    from crm_identifiers
    where blocked_reason is null
    group by identifier_type, identifier_value

),

merged_links as (

    -- a link inside a merged person, or refused because its component is over the limit
    select
        case when lefts.is_over_limit then 'refused' else 'merged' end as outcome,
        lefts.person_id,
        links.user_id_left as user_id,
        'user_id' as identifier_type,
        links.user_id_right as identifier_value,
        case
            when links.match_probability is not null then 'probabilistic'
            else 'crm_' || links.matched_by
        end as merge_rule,
        links.matched_by,
        links.match_probability,
        case when lefts.is_over_limit then 'user_id' end as limit_type,
        case when lefts.is_over_limit then {{ max_user_ids }} end as limit_value
    from links
    inner join persons as lefts
        on links.user_id_left = lefts.user_id

),

unusable_values as (

    select
        'refused' as outcome,
        persons.person_id,
        crm_identifiers.user_id,
        crm_identifiers.identifier_type,
        crm_identifiers.identifier_value,
        crm_identifiers.blocked_reason as merge_rule,
        cast(null as string) as matched_by,
        cast(null as double) as match_probability,
        cast(null as string) as limit_type,
        cast(null as integer) as limit_value
    from crm_identifiers
    inner join persons
        on crm_identifiers.user_id = persons.user_id
    where crm_identifiers.blocked_reason is not null

),

shared_values as (

    -- a value on more CRM records than one person may hold links none of them
    select
        'refused' as outcome,
        persons.person_id,
        crm_identifiers.user_id,
        crm_identifiers.identifier_type,
        crm_identifiers.identifier_value,
        'shared_value' as merge_rule,
        cast(null as string) as matched_by,
        cast(null as double) as match_probability,
        'user_id' as limit_type,
        {{ max_user_ids }} as limit_value
    from crm_identifiers
    inner join value_holders
        on
            crm_identifiers.identifier_type = value_holders.identifier_type
            and crm_identifiers.identifier_value = value_holders.identifier_value
    inner join persons
        on crm_identifiers.user_id = persons.user_id
    where
        crm_identifiers.blocked_reason is null
        and value_holders.count_user_ids > {{ max_user_ids }}

),

values_over_limit as (

    -- event_login: a person holds one user_id, so a value another person holds cannot join
    select
        'refused' as outcome,
        person_id,
        user_id,
        identifier_type,
        identifier_value,
        refused_rule as merge_rule,
        value_source as matched_by,
        cast(null as double) as match_probability,
        case
            when refused_rule = 'event_login' then 'user_id' else identifier_type
        end as limit_type,
        case when refused_rule = 'event_login' then 1 else value_limit end as limit_value
    from person_values

),

devices_over_limit as (

    select
        'refused' as outcome,
        coalesce(persons.person_id, devices.user_id) as person_id,
        devices.user_id,
        'device' as identifier_type,
        devices.anonymous_id as identifier_value,
        'value_limit' as merge_rule,
        devices.matched_by,
        cast(null as double) as match_probability,
        'device' as limit_type,
        {{ max_devices }} as limit_value
    from devices
    left join persons
        on devices.user_id = persons.user_id

),

final as (

    select * from merged_links
    union all
    select * from unusable_values
    union all
    select * from shared_values
    union all
    select * from values_over_limit
    union all
    select * from devices_over_limit

)

select * from final
