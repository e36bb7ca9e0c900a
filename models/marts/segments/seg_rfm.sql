{{ config(tags=['segment']) }}
{#- Every buyer in their named RFM segment (seed rfm_segments), as segment rfm_<name>; the
    names it can yield are its YAML meta `segments`. -#}
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
