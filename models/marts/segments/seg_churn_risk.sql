{{ config(tags=['segment']) }}
{#- At least 2 completed orders in the 90 days before the last 30, none in the last 30. -#}
with

stopped_buying as (

    {{ rule_stopped(
        'count_orders',
        recent_days=positive_var('segmart_churn_risk_recent_days'),
        earlier_days=positive_var('segmart_churn_risk_earlier_days'),
        at_least=positive_var('segmart_churn_risk_min_orders'),
        as_name='count_orders',
    ) }}

),

as_of as (

    select as_of from {{ ref('int_as_of_resolved') }}

),

final as (

    select
        stopped_buying.user_id,
        'churn_risk' as segment,
        as_of.as_of,
        stopped_buying.count_orders_before
    from stopped_buying
    cross join as_of

)

select * from final
