{{ config(
    tags=['segment'],
    meta={'segments': ['rfm_champions', 'rfm_loyal_customers', 'rfm_potential_loyalists',
                       'rfm_new_customers', 'rfm_promising', 'rfm_need_attention',
                       'rfm_about_to_sleep', 'rfm_cannot_lose_them', 'rfm_at_risk',
                       'rfm_hibernating']},
) }}
{#- Every buyer in their named RFM segment (seed rfm_segments), as segment rfm_<name>. -#}
with

features as (

    select * from {{ ref('user_features') }}
    where rfm_segment != 'no_purchases'

),

final as (

    select
        user_id,
        'rfm_' || rfm_segment as segment,
        as_of,
        rfm_score,
        days_since_last_order,
        count_orders_lifetime,
        total_revenue_lifetime
    from features

)

select * from final
