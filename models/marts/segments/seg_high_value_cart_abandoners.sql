{{ config(tags=['segment']) }}
{#- Cart abandoners whose cart is worth at least segmart_high_value_cart_min_value: the sum of
    price x quantity of their add_to_cart events in the window after their latest completed
    order. -#}
with

cart_abandoners as (

    select * from {{ ref('seg_cart_abandoners') }}

),

as_of as (

    select as_of from {{ ref('int_as_of_resolved') }}

),

cart_events as (

    select
        sessionized.user_id,
        sessionized.occurred_at,
        {{ money('coalesce(sessionized.price, 0) * sessionized.quantity') }} as cart_line_value
    from {{ ref('int_events_sessionized') }} as sessionized
    cross join as_of
    where sessionized.event_type = 'add_to_cart'
        and {{ whole_days_between('sessionized.occurred_at', 'as_of.as_of') }}
        < {{ positive_var('segmart_cart_abandoners_window_days') }}

),

cart_values as (

    select
        cart_abandoners.user_id,
        sum(cart_events.cart_line_value) as cart_value
    from cart_abandoners
    inner join cart_events
        on cart_abandoners.user_id = cart_events.user_id
    where cart_abandoners.last_order_at is null
        or cart_events.occurred_at > cart_abandoners.last_order_at
    group by cart_abandoners.user_id

),

final as (

    select
        cart_abandoners.user_id,
        'high_value_cart_abandoners' as segment,
        cart_abandoners.as_of,
        cart_values.cart_value,
        cart_abandoners.last_add_to_cart_at
    from cart_abandoners
    inner join cart_values
        on cart_abandoners.user_id = cart_values.user_id
    where cart_values.cart_value >= {{ var('segmart_high_value_cart_min_value') }}

)

select * from final
