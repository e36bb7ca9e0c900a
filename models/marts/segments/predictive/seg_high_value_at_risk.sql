{{ config(tags=['segment']) }}
{#- Buyers in the top CLV deciles whose P(alive) is low or whose churn propensity is high. -#}
with

customer_value as (

    select * from {{ ref('customer_value') }}
    where clv_decile >= {{ positive_var('segmart_high_value_at_risk_min_clv_decile') }}

),

churn as (

    select * from {{ ref('propensity_scores') }}
    where target = 'churn'

),

final as (

    select
        customer_value.user_id,
        'high_value_at_risk' as segment,
        customer_value.as_of,
        customer_value.clv_365d,
        customer_value.clv_decile,
        customer_value.p_alive,
        churn.decile as churn_decile
    from customer_value
    left join churn
        on customer_value.user_id = churn.user_id
    where
        customer_value.p_alive < {{ var('segmart_high_value_at_risk_max_p_alive') }}
        or churn.decile >= {{ positive_var('segmart_high_value_at_risk_min_churn_decile') }}

)

select * from final
