{#- One row per customer (user_id) not erased: the fields the CRM linkage compares
    (segmart.identity.linkage), text trimmed and lower case, an invalid e-mail left out.
    A view, so the identifiers are stored nowhere new. DuckDB only (reads pii_phone_numbers).
    docs/decisions/0007-crm-linkage-with-splink.md. -#}
{{ config(materialized='view') }}

with

customers as (

    select * from {{ ref('pii_customer_contacts') }}

),

phones as (

    select * from {{ ref('pii_phone_numbers') }}

),

crm_customers as (

    select * from {{ ref('stg_crm__customers') }}

),

final as (

    select
        customers.user_id,
        nullif(lower(trim(customers.first_name)), '') as first_name,
        nullif(lower(trim(customers.last_name)), '') as last_name,
        case
            when not customers.has_invalid_email
                then nullif(lower(trim(customers.email)), '')
        end as email,
        phones.phone_e164,
        nullif(lower(trim(customers.postal_code)), '') as postal_code,
        nullif(lower(trim(customers.city)), '') as city,
        crm_customers.birth_year
    from customers
    left join phones
        on customers.user_id = phones.user_id
    left join crm_customers
        on customers.user_id = crm_customers.user_id

)

select * from final
