{{ config(tags=['segment']) }}
{#- Viewed one product at least 3 times in the last 7 days and no completed order containing
    it in that window. Evidence: the most viewed such product. -#}
with

product_days as (

    select * from {{ ref('int_user_product_days_aggregated') }}
    where days_before_as_of < {{ product_window_var('segmart_repeat_viewers_window_days') }}

),

as_of as (

    select as_of from {{ ref('int_as_of_resolved') }}

),

products as (

    select
        user_id,
        product_id,
        sum(count_views) as count_views,
        sum(count_orders) as count_orders
    from product_days
    group by 1, 2

),

repeated as (

    select
        user_id,
        product_id,
        count_views,
        row_number() over (
            partition by user_id order by count_views desc, product_id asc
        ) as view_rank
    from products
    where count_views >= {{ positive_var('segmart_repeat_viewers_min_views') }}
        and count_orders = 0

),

final as (

    select
        repeated.user_id,
        'repeat_product_viewers' as segment,
        as_of.as_of,
        repeated.product_id,
        repeated.count_views
    from repeated
    cross join as_of
    where repeated.view_rank = 1

)

select * from final
