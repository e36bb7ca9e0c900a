{{ config(tags=['segment']) }}
{#- Persons in the top purchase-propensity deciles (propensity_scores, target purchase). -#}
with

scores as (

    select * from {{ ref('propensity_scores') }}
    where target = 'purchase'

),

final as (

    select
        user_id,
        'likely_buyers' as segment,
        as_of,
        p as p_purchase,
        decile as purchase_decile
    from scores
    where decile >= {{ positive_var('segmart_likely_buyers_min_decile') }}

)

select * from final
