{#- One row per person, product and day (counted back from as_of, as in
    int_user_days_aggregated) of the last segmart_product_days_window_days days: views, cart
    adds and completed order lines of that product. Product rules and product_interest look
    at most that far back (product_window_var checks it), so older days are not kept: the
    table is rebuilt with as_of on every build and reads only those days of events. -#}
{%- set kept_days = product_days_window() %}
with

as_of as (

    select as_of from {{ ref('int_as_of_resolved') }}

),

events as (

    select
        sessionized.user_id,
        sessionized.product_id,
        sessionized.category,
        sessionized.event_type,
        sessionized.occurred_at,
        {{ whole_days_between('sessionized.occurred_at', 'as_of.as_of') }} as days_before_as_of
    from {{ ref('int_events_sessionized') }} as sessionized
    cross join as_of
    where
        sessionized.event_type in ('product_view', 'add_to_cart')
        and sessionized.product_id is not null
        -- days_before_as_of < kept_days (events are at or before as_of)
        and sessionized.occurred_at > {{ dbt.dateadd('day', -kept_days, 'as_of.as_of') }}

),

order_lines as (

    select
        order_id,
        product_id,
        category,
        quantity
    from {{ ref('stg_shop__order_lines') }}
    where is_completed and product_id is not null

),

orders as (

    select
        order_id,
        user_id,
        days_before_as_of
    from {{ ref('int_orders_aggregated') }}
    where days_before_as_of < {{ kept_days }}

),

events_by_day as (

    select
        user_id,
        product_id,
        days_before_as_of,
        max(category) as category,
        sum(case when event_type = 'product_view' then 1 else 0 end) as count_views,
        sum(case when event_type = 'add_to_cart' then 1 else 0 end) as count_add_to_carts,
        max(case when event_type = 'product_view' then occurred_at end) as last_viewed_at
    from events
    group by 1, 2, 3

),

orders_by_day as (

    -- completed lines of visible orders only: int_orders_aggregated applies as_of and erasure
    select
        orders.user_id,
        order_lines.product_id,
        orders.days_before_as_of,
        max(order_lines.category) as category,
        count(distinct orders.order_id) as count_orders,
        sum(order_lines.quantity) as total_quantity_ordered
    from order_lines
    inner join orders
        on order_lines.order_id = orders.order_id
    group by 1, 2, 3

),

keys as (

    select
        user_id,
        product_id,
        days_before_as_of
    from events_by_day
    union
    select
        user_id,
        product_id,
        days_before_as_of
    from orders_by_day

),

final as (

    select
        keys.user_id,
        keys.product_id,
        keys.days_before_as_of,
        coalesce(events_by_day.category, orders_by_day.category) as category,
        coalesce(events_by_day.count_views, 0) as count_views,
        coalesce(events_by_day.count_add_to_carts, 0) as count_add_to_carts,
        coalesce(orders_by_day.count_orders, 0) as count_orders,
        coalesce(orders_by_day.total_quantity_ordered, 0) as total_quantity_ordered,
        events_by_day.last_viewed_at
    from keys
    left join events_by_day
        on keys.user_id = events_by_day.user_id
            and keys.product_id = events_by_day.product_id
            and keys.days_before_as_of = events_by_day.days_before_as_of
    left join orders_by_day
        on keys.user_id = orders_by_day.user_id
            and keys.product_id = orders_by_day.product_id
            and keys.days_before_as_of = orders_by_day.days_before_as_of

)

select * from final
