{#- One row per CRM record (user_id) and identifier it carries: its e-mail (lower-cased and
    trimmed) and its phone (E.164, DuckDB only: the phone parser is a Python model), as
    salted hashes, with the reason the value can never be an edge (blocked_reason). The
    values are compared before hashing, so the blocked lists hold plain placeholders. -#}
{%- set blocked_emails = var('segmart_identity_blocked_emails') %}
{%- set blocked_phones = var('segmart_identity_blocked_phones') %}

with

customers as (

    select
        user_id,
        email,
        has_invalid_email
    from {{ ref('pii_customer_contacts') }}

),

records as (

    select
        user_id,
        signup_at,
        coalesce(updated_at, consent_updated_at, signup_at) as updated_at
    from {{ ref('stg_crm__customers') }}

),

values_seen as (

    select
        user_id,
        'email' as identifier_type,
        lower(trim(email)) as normalised_value,
        case
            when has_invalid_email then 'invalid_value'
            {%- for pattern in blocked_emails %}
                when lower(trim(email)) like '{{ pattern }}' then 'blocked_value'
            {%- endfor %}
        end as blocked_reason
    from customers
    where nullif(trim(email), '') is not null
    {% if target.type == 'duckdb' %}
        union all
        select
            user_id,
            'phone' as identifier_type,
            phone_e164 as normalised_value,
            {%- set blocked_list = "'" ~ (blocked_phones | join("', '")) ~ "'" %}
            case
                when phone_e164 in ({{ blocked_list }}) then 'blocked_value'
            end as blocked_reason
        from {{ ref('pii_phone_numbers') }}
        where phone_e164 is not null
    {% endif %}

),

final as (

    select
        values_seen.user_id,
        values_seen.identifier_type,
        {{ hash_pii('values_seen.normalised_value') }} as identifier_value,
        values_seen.blocked_reason,
        records.signup_at as first_seen_at,
        records.updated_at as last_seen_at
    from values_seen
    inner join records
        on values_seen.user_id = records.user_id

)

select * from final
