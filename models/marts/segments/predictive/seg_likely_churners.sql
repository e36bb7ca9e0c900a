{{ config(tags=['segment']) }}
{#- Active persons in the top churn-propensity deciles (propensity_scores, target churn). -#}
with

scores as (

    select * from {{ ref('propensity_scores') }}
    where target = 'churn'

),

final as (

    select
        user_id,
        'likely_churners' as segment,
        as_of,
        p as p_churn,
        decile as churn_decile
    from scores
    where decile >= {{ positive_var('segmart_likely_churners_min_decile') }}

)

select * from final
