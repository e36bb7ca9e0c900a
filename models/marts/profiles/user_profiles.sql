{#- One row per person: everyone with activity at or before as_of, and every CRM customer who
    had signed up by then. A person of several CRM records takes the attributes of its
    oldest, which names it (int_identity_persons), and lists the others. No raw PII: the
    e-mail only as a salted hash, the birth year only as an age band. -#}
with

user_days as (

    select * from {{ ref('int_user_days_aggregated') }}

),

persons as (

    select
        user_id,
        person_id
    from {{ ref('int_identity_persons') }}

),

merged_records as (

    -- the other CRM records joined into a person, in id order
    select
        person_id,
        count(*) + 1 as count_crm_records,
        {{ dbt.listagg('user_id', "','", 'order by user_id') }} as merged_user_ids
    from persons
    where user_id != person_id
    group by 1

),

customers as (

    -- one record per person: the one that names it
    select customers.*
    from {{ ref('stg_crm__customers') }} as customers
    inner join persons
        on customers.user_id = persons.user_id
    where persons.user_id = persons.person_id

),

contacts as (

    -- the e-mail only, to hash it; no direct identifier leaves this model
    select
        user_id,
        email
    from {{ ref('pii_customers') }}

),

deletion_requests as (

    select user_id from {{ ref('stg_crm__erased_records') }}

),

as_of as (

    select as_of from {{ ref('int_as_of_resolved') }}

),

activity as (

    select
        user_id,
        max(case when is_identified then 1 else 0 end) = 1 as is_identified,
        min(first_activity_at) as first_activity_at,
        max(last_activity_at) as last_activity_at,
        count(*) as count_active_days,
        sum(count_events_mobile) as count_events_mobile,
        sum(count_events_desktop) as count_events_desktop,
        sum(count_events_tablet) as count_events_tablet,
        sum(count_events_web) as count_events_web,
        sum(count_events_app) as count_events_app,
        sum(count_events_server) as count_events_server,
        max_by(last_country, last_event_at) as last_country
    from user_days
    group by 1

),

customers_signed_up as (

    select
        customers.*,
        contacts.email
    from customers
    cross join as_of
    left join contacts
        on customers.user_id = contacts.user_id
    left join deletion_requests
        on customers.user_id = deletion_requests.user_id
    where deletion_requests.user_id is null
        and (customers.signup_at is null or customers.signup_at <= as_of.as_of)

),

everyone as (

    select user_id from activity
    union
    select user_id from customers_signed_up

),

final as (

    select
        everyone.user_id,
        coalesce(activity.is_identified, false) or customers_signed_up.user_id is not null
            as is_identified,
        customers_signed_up.user_id is not null as is_customer,
        cast(case
            when merged_records.count_crm_records is not null
                then merged_records.count_crm_records
            when customers_signed_up.user_id is not null then 1
            else 0
        end as bigint) as count_crm_records,
        merged_records.merged_user_ids,
        activity.first_activity_at,
        activity.last_activity_at,
        cast(coalesce(activity.count_active_days, 0) as bigint) as count_active_days,
        {{ hash_pii('customers_signed_up.email') }} as email_sha256,
        customers_signed_up.signup_at,
        {{ age_band('customers_signed_up.birth_year', 'as_of.as_of') }} as age_band,
        customers_signed_up.gender,
        customers_signed_up.income_band,
        customers_signed_up.occupation,
        customers_signed_up.city,
        coalesce(customers_signed_up.country, activity.last_country) as country,
        customers_signed_up.time_zone,
        coalesce(customers_signed_up.has_unknown_time_zone, false) as has_unknown_time_zone,
        coalesce(customers_signed_up.has_marketing_consent, false) as has_marketing_consent,
        customers_signed_up.consent_updated_at,
        case
            when coalesce(activity.count_events_mobile, 0)
                + coalesce(activity.count_events_desktop, 0)
                + coalesce(activity.count_events_tablet, 0) = 0 then null
            when activity.count_events_mobile >= activity.count_events_desktop
                and activity.count_events_mobile >= activity.count_events_tablet then 'mobile'
            when activity.count_events_desktop >= activity.count_events_tablet then 'desktop'
            else 'tablet'
        end as main_device_type,
        case
            when coalesce(activity.count_events_web, 0)
                + coalesce(activity.count_events_app, 0) = 0 then null
            when activity.count_events_web >= activity.count_events_app then 'web'
            else 'app'
        end as main_channel,
        as_of.as_of
    from everyone
    cross join as_of
    left join activity
        on everyone.user_id = activity.user_id
    left join customers_signed_up
        on everyone.user_id = customers_signed_up.user_id
    left join merged_records
        on everyone.user_id = merged_records.person_id

)

select * from final
