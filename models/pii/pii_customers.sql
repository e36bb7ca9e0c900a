{#- One row per customer (user_id): the direct identifiers of the kept CRM version, whether
    the e-mail is usable, and the consent per purpose. Restricted schema `pii`: read only by
    the export and by user_profiles (for the salted hash); never published. Consent rules in
    docs/personal-data.md. -#}
{%- set purposes = ['email_marketing', 'ad_user_data', 'ad_personalization'] %}
{%- set granted = "'granted', 'true', 't', 'yes', 'y', '1'" %}
{%- set denied = "'denied', 'false', 'f', 'no', 'n', '0', 'withdrawn'" %}

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

latest_decisions as (

    -- the latest decision per purpose wins; at the same time a withdrawal wins
    select
        user_id,
        purpose,
        consent_state,
        decided_at
    from (
        select
            *,
            row_number() over (
                partition by user_id, purpose
                order by
                    decided_at desc nulls last,
                    case consent_state when 'denied' then 0 when 'unknown' then 1 else 2 end
            ) as decision_rank
        from decisions
        where consent_state is not null
    ) as ranked
    where decision_rank = 1

),

consents as (

    select
        user_id,
        {%- for purpose in purposes %}
            max(case when purpose = '{{ purpose }}' then consent_state end)
                as consent_{{ purpose }},
            max(case when purpose = '{{ purpose }}' then decided_at end)
                as consent_{{ purpose }}_at{% if not loop.last %},{% endif %}
        {%- endfor %}
    from latest_decisions
    group by user_id

),

final as (

    select
        versioned.user_id,
        versioned.email,
        versioned.email is not null
        and not {{ matches_regex('versioned.email', '^[^@ ]+@[^@ ]+$') }}
            as has_invalid_email,
        versioned.phone,
        versioned.first_name,
        versioned.last_name,
        versioned.postal_code,
        versioned.city,
        versioned.region,
        versioned.country,
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
        versioned.signup_at
    from versioned
    left join consents
        on versioned.user_id = consents.user_id
    where versioned.version_rank = 1

)

select * from final
