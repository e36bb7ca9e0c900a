{{ config(tags=['segment']) }}
{#- At least 3 completed orders in the last 7 days placed in the local morning
    (segmart_morning_start_hour <= local hour < segmart_morning_end_hour). -#}
with

morning_buyers as (

    {{ rule_performed(
        'count_morning_orders',
        within_days=positive_var('segmart_morning_buyers_window_days'),
        at_least=positive_var('segmart_morning_buyers_min_orders'),
        as_name='count_morning_orders_in_window',
    ) }}

),

as_of as (

    select as_of from {{ ref('int_as_of_resolved') }}

),

final as (

    select
        morning_buyers.user_id,
        'frequent_morning_buyers' as segment,
        as_of.as_of,
        morning_buyers.count_morning_orders_in_window
    from morning_buyers
    cross join as_of

)

select * from final
