with

customers as (

    select * from {{ ref('base_crm__customers') }}
    where reject_reason is null

),

versioned as (

    -- the latest version of a record wins; on a tie, the one from the last file by name
    -- (pii_customers ranks the same way); no direct identifier leaves this CTE
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
        signup_at,
        birth_year,
        gender,
        income_band,
        occupation,
        city,
        country,
        time_zone,
        time_zone_raw,
        has_unknown_time_zone,
        coalesce(has_marketing_consent, false) as has_marketing_consent,
        consent_updated_at,
        updated_at,
        source_file
    from versioned
    where version_rank = 1

)

select * from final
