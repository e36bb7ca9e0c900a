{#- Every raw customer record, typed, with the reason it is rejected (null when valid).

    Stored, not a view: stg_crm__customers (read by five models and its tests),
    stg_crm__customers_rejected and data_quality_row_counts read it, and the CRM files and
    time zone names are then parsed once per build instead of once per reader. Rebuilt in
    full each time (one row per customer record, small next to the events). It holds the
    direct identifiers (e-mail, phone, names, postal code), so it lives in the restricted
    schema `pii`, which publish never copies (docs/personal-data.md). -#}
{{ config(materialized='table', schema='pii') }}

with

source as (

    {{ landing_select(source('crm', 'customers'), 'customers', [
        'user_id', 'email', 'signup_at', 'birth_year', 'gender', 'income_band',
        'occupation', 'city', 'country', 'timezone', 'marketing_consent',
        'consent_updated_at', 'updated_at',
        'phone', 'first_name', 'last_name', 'postal_code', 'region',
        'consent_email_marketing', 'consent_email_marketing_updated_at',
        'consent_ad_user_data', 'consent_ad_user_data_updated_at',
        'consent_ad_personalization', 'consent_ad_personalization_updated_at',
    ]) }}

),

time_zones as (

    {{ time_zone_names() }}

),

typed as (

    select
        {{ clean_identity('source.user_id') }} as user_id,
        lower(nullif(trim(cast(source.email as string)), '')) as email,
        {{ landed_timestamp('source.signup_at') }} as signup_at,
        {{ dbt.safe_cast('source.birth_year', 'integer') }} as birth_year,
        lower(nullif(trim(cast(source.gender as string)), '')) as gender,
        lower(nullif(trim(cast(source.income_band as string)), '')) as income_band,
        lower(nullif(trim(cast(source.occupation as string)), '')) as occupation,
        nullif(trim(cast(source.city as string)), '') as city,
        upper(nullif(trim(cast(source.country as string)), '')) as country,
        nullif(trim(cast(source.timezone as string)), '') as time_zone_raw,
        {{ dbt.safe_cast('source.marketing_consent', 'boolean') }} as has_marketing_consent,
        {{ landed_timestamp('source.consent_updated_at') }} as consent_updated_at,
        {{ landed_timestamp('source.updated_at') }} as updated_at,
        -- optional contact and consent columns (docs/personal-data.md); kept as delivered,
        -- checked in pii_customers and pii_phone_numbers
        nullif(trim(cast(source.phone as string)), '') as phone,
        nullif(trim(cast(source.first_name as string)), '') as first_name,
        nullif(trim(cast(source.last_name as string)), '') as last_name,
        nullif(trim(cast(source.postal_code as string)), '') as postal_code,
        nullif(trim(cast(source.region as string)), '') as region,
        {%- for purpose in ['email_marketing', 'ad_user_data', 'ad_personalization'] %}
            lower(nullif(trim(cast(source.consent_{{ purpose }} as string)), ''))
                as consent_{{ purpose }}_raw,
            {{ landed_timestamp('source.consent_' ~ purpose ~ '_updated_at') }}
                as consent_{{ purpose }}_updated_at,
        {%- endfor %}
        cast(source.filename as string) as source_file,
        -- an integer time outside every epoch band (landed_epoch_timestamp)
        case
            when {{ landed_epoch_out_of_range('source.signup_at') }} then 'signup_at'
            when {{ landed_epoch_out_of_range('source.consent_updated_at') }}
                then 'consent_updated_at'
            when {{ landed_epoch_out_of_range('source.updated_at') }} then 'updated_at'
        end as out_of_range_column
    from source

),

kept as (

    -- rows of erased persons are dropped here, before anything can store them;
    -- data_quality_row_counts counts them as erased
    {{ without_erased('typed', ['user_id']) }}

),

final as (

    select
        kept.*,
        time_zones.time_zone_name as time_zone,
        kept.time_zone_raw is not null and time_zones.time_zone_name is null
            as has_unknown_time_zone,
        case
            when kept.user_id is null then 'missing_user_id'
            when kept.out_of_range_column is not null
                then 'out_of_range_' || kept.out_of_range_column
        end as reject_reason
    from kept
    left join time_zones
        on kept.time_zone_raw = time_zones.time_zone_name

)

select * from final
