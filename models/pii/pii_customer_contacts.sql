{#- One row per customer (user_id): the direct identifiers of the kept CRM version (the same
    version as stg_crm__customers) and whether the e-mail is usable. A view, so nothing new
    is stored; the identity models and the phone parser read it, pii_customers adds the
    consents of the whole person. -#}
{{ config(materialized='view') }}

with

customers as (

    select * from {{ ref('base_crm__customers') }}
    where reject_reason is null

),

versioned as (

    -- the same order as stg_crm__customers: the latest version, then the last file by name
    select
        *,
        row_number() over (
            partition by user_id
            order by
                coalesce(updated_at, consent_updated_at, signup_at) desc nulls last,
                source_file desc,
                email desc
        ) as version_rank
    from customers

),

final as (

    select
        user_id,
        email,
        email is not null
        and not {{ matches_regex('email', '^[^@ ]+@[^@ ]+$') }}
            as has_invalid_email,
        phone,
        first_name,
        last_name,
        postal_code,
        city,
        region,
        country,
        signup_at
    from versioned
    where version_rank = 1

)

select * from final
