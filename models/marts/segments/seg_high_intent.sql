{{ config(tags=['segment']) }}
{#- Viewed one product at least twice in the last 24 hours, and is a cart abandoner. -#}
with

cart_abandoners as (

    select
        user_id,
        as_of
    from {{ ref('seg_cart_abandoners') }}

),

product_days as (

    select * from {{ ref('int_user_product_days_aggregated') }}
    where days_before_as_of < {{ product_window_var('segmart_high_intent_window_days') }}

),

product_views as (

    select
        user_id,
        product_id,
        sum(count_views) as count_views
    from product_days
    group by 1, 2

),

viewed as (

    select
        user_id,
        product_id,
        count_views,
        row_number() over (
            partition by user_id order by count_views desc, product_id asc
        ) as view_rank
    from product_views
    where count_views >= {{ positive_var('segmart_high_intent_min_views') }}

),

final as (

    select
        cart_abandoners.user_id,
        'high_intent' as segment,
        cart_abandoners.as_of,
        viewed.product_id,
        viewed.count_views
    from cart_abandoners
    inner join viewed
        on cart_abandoners.user_id = viewed.user_id
    where viewed.view_rank = 1

)

select * from final
