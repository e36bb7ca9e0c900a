{#- One row per pair of CRM records (user_id_left < user_id_right) the CRM says are the same
    person: the same usable e-mail or phone (deterministic), or a probabilistic match at or
    above segmart_identity_match_threshold (DuckDB only). A value held by more CRM records
    than segmart_identity_max_user_ids links none of them (identity_merge_audit records
    the refusal). One row per pair: the e-mail first, then the phone, then the best match. -#}
{%- set max_user_ids = positive_var('segmart_identity_max_user_ids', 1) %}

with

identifiers as (

    select
        user_id,
        identifier_type,
        identifier_value
    from {{ ref('int_identity_crm_identifiers') }}
    where blocked_reason is null

),

value_holders as (

    select
        identifier_type,
        identifier_value,
        count(distinct user_id) as count_user_ids
    from identifiers
    group by identifier_type, identifier_value

),

shared_values as (

    select
        identifiers.user_id,
        identifiers.identifier_type,
        identifiers.identifier_value
    from identifiers
    inner join value_holders
        on
            identifiers.identifier_type = value_holders.identifier_type
            and identifiers.identifier_value = value_holders.identifier_value
    where value_holders.count_user_ids between 2 and {{ max_user_ids }}

),

candidates as (

    select
        lefts.user_id as user_id_left,
        rights.user_id as user_id_right,
        lefts.identifier_type as matched_by,
        case lefts.identifier_type when 'email' then 1 else 2 end as priority,
        cast(null as double) as match_probability
    from shared_values as lefts
    inner join shared_values as rights
        on
            lefts.identifier_type = rights.identifier_type
            and lefts.identifier_value = rights.identifier_value
            and lefts.user_id < rights.user_id
    {% if target.type == 'duckdb' %}
        union all
        select
            user_id_left,
            user_id_right,
            'probabilistic:' || cast(round(match_probability, 4) as string) as matched_by,
            3 as priority,
            match_probability
        from {{ ref('pii_crm_record_matches') }}
        where match_probability >= {{ var('segmart_identity_match_threshold') }}
    {% endif %}

),

ranked as (

    select
        *,
        row_number() over (
            partition by user_id_left, user_id_right
            order by priority asc, match_probability desc
        ) as link_rank
    from candidates

),

final as (

    select
        user_id_left,
        user_id_right,
        matched_by,
        match_probability
    from ranked
    where link_rank = 1

)

select * from final
