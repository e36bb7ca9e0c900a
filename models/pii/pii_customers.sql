{#- One row per customer (user_id): the contacts of pii_customer_contacts and the consent
    per purpose of the whole person (every record of int_identity_persons counts). Restricted
    schema `pii`: read by the export and by user_profiles (for the salted hash); never
    published. Consent rules in docs/personal-data.md. -#}
{%- set purposes = ['email_marketing', 'ad_user_data', 'ad_personalization'] %}
{%- set granted = "'granted', 'true', 't', 'yes', 'y', '1'" %}
{%- set denied = "'denied', 'false', 'f', 'no', 'n', '0', 'withdrawn'" %}

with

customers as (

    select * from {{ ref('base_crm__customers') }}
    where reject_reason is null

),

contacts as (

    select * from {{ ref('pii_customer_contacts') }}

),

persons as (

    select
        user_id,
        person_id
    from {{ ref('int_identity_persons') }}

),

decisions as (

    -- one row per record and purpose: the purpose's own column, else marketing_consent
    {% for purpose in purposes %}
        select
            user_id,
            '{{ purpose }}' as purpose,
            case
                when consent_{{ purpose }}_raw in ({{ granted }}) then 'granted'
                when consent_{{ purpose }}_raw in ({{ denied }}) then 'denied'
                when consent_{{ purpose }}_raw is not null then 'unknown'
                when has_marketing_consent then 'granted'
                when not has_marketing_consent then 'denied'
            end as consent_state,
            case
                when consent_{{ purpose }}_raw is not null
                    then coalesce(
                            consent_{{ purpose }}_updated_at, consent_updated_at,
                            updated_at, signup_at
                        )
                else coalesce(consent_updated_at, updated_at, signup_at)
            end as decided_at
        from customers
        {% if not loop.last %}union all{% endif %}
    {% endfor %}

),

person_decisions as (

    select
        coalesce(persons.person_id, decisions.user_id) as person_id,
        decisions.purpose,
        decisions.consent_state,
        decisions.decided_at
    from decisions
    left join persons
        on decisions.user_id = persons.user_id

),

latest_decisions as (

    -- the latest decision of the person's records per purpose wins; at the same time a
    -- withdrawal wins
    select
        person_id,
        purpose,
        consent_state,
        decided_at
    from (
        select
            *,
            row_number() over (
                partition by person_id, purpose
                order by
                    decided_at desc nulls last,
                    case consent_state when 'denied' then 0 when 'unknown' then 1 else 2 end
            ) as decision_rank
        from person_decisions
        where consent_state is not null
    ) as ranked
    where decision_rank = 1

),

consents as (

    select
        person_id,
        {%- for purpose in purposes %}
            max(case when purpose = '{{ purpose }}' then consent_state end)
                as consent_{{ purpose }},
            max(case when purpose = '{{ purpose }}' then decided_at end)
                as consent_{{ purpose }}_at{% if not loop.last %},{% endif %}
        {%- endfor %}
    from latest_decisions
    group by person_id

),

final as (

    select
        contacts.user_id,
        contacts.email,
        contacts.has_invalid_email,
        contacts.phone,
        contacts.first_name,
        contacts.last_name,
        contacts.postal_code,
        contacts.city,
        contacts.region,
        contacts.country,
        {%- for purpose in purposes %}
            consents.consent_{{ purpose }},
            consents.consent_{{ purpose }}_at,
        {%- endfor %}
        coalesce(
            {%- for purpose in purposes %}
                consents.consent_{{ purpose }} = 'unknown'{% if not loop.last %} or{% endif %}
            {%- endfor %},
            false
        ) as has_unknown_consent_value,
        contacts.signup_at
    from contacts
    left join persons
        on contacts.user_id = persons.user_id
    left join consents
        on coalesce(persons.person_id, contacts.user_id) = consents.person_id

)

select * from final
