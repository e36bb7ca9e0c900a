{{ config(tags=['segment']) }}
{#- Added to cart in the last 7 days, no completed order at or after the latest add_to_cart,
    and that add_to_cart is at least an hour old (the visitor may still be checking out). -#}
{%- set window_days = positive_var('segmart_cart_abandoners_window_days') %}

with

carted as (

    {{ rule_performed(
        'count_add_to_carts', within_days=window_days,
        at_least=positive_var('segmart_cart_abandoners_min_add_to_carts'),
        as_name='count_add_to_carts_in_window',
    ) }}

),

user_days as (

    select * from {{ ref('int_user_days_aggregated') }}

),

as_of as (

    select as_of from {{ ref('int_as_of_resolved') }}

),

latest as (

    select
        user_id,
        max(last_add_to_cart_at) as last_add_to_cart_at,
        max(last_order_at) as last_order_at
    from user_days
    group by user_id

),

final as (

    select
        carted.user_id,
        'cart_abandoners' as segment,
        as_of.as_of,
        latest.last_add_to_cart_at,
        latest.last_order_at,
        carted.count_add_to_carts_in_window
    from carted
    inner join latest
        on carted.user_id = latest.user_id
    cross join as_of
    where (latest.last_order_at is null or latest.last_order_at < latest.last_add_to_cart_at)
        and latest.last_add_to_cart_at <= {{ dbt.dateadd(
            'hour', -positive_var('segmart_cart_abandoners_grace_hours', minimum=0), 'as_of.as_of'
        ) }}

)

select * from final
