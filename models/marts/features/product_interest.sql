{#- One row per person and product viewed or added to cart in the last 30 days: how often,
    and whether they bought it. For campaigns (what to show whom) and the product rules. -#}
with

product_days as (

    select * from {{ ref('int_user_product_days_aggregated') }}

),

as_of as (

    select as_of from {{ ref('int_as_of_resolved') }}

),

aggregated as (

    select
        user_id,
        product_id,
        max(category) as category,
        sum(case when days_before_as_of < 1 then count_views else 0 end) as count_views_1d,
        sum(case when days_before_as_of < 7 then count_views else 0 end) as count_views_7d,
        sum(case when days_before_as_of < 30 then count_views else 0 end) as count_views_30d,
        sum(case when days_before_as_of < 7 then count_add_to_carts else 0 end)
            as count_add_to_carts_7d,
        sum(case when days_before_as_of < 7 then count_orders else 0 end) as count_orders_7d,
        sum(case when days_before_as_of < 30 then count_orders else 0 end) as count_orders_30d,
        max(last_viewed_at) as last_viewed_at
    from product_days
    group by 1, 2
    having sum(
            case when days_before_as_of < 30 then count_views + count_add_to_carts else 0 end
        ) > 0

),

final as (

    select
        aggregated.user_id,
        aggregated.product_id,
        aggregated.category,
        cast(aggregated.count_views_1d as bigint) as count_views_1d,
        cast(aggregated.count_views_7d as bigint) as count_views_7d,
        cast(aggregated.count_views_30d as bigint) as count_views_30d,
        cast(aggregated.count_add_to_carts_7d as bigint) as count_add_to_carts_7d,
        aggregated.count_orders_7d > 0 as is_bought_7d,
        aggregated.count_orders_30d > 0 as is_bought_30d,
        aggregated.last_viewed_at,
        as_of.as_of
    from aggregated
    cross join as_of

)

select * from final
