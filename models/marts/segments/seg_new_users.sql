{{ config(tags=['segment']) }}
{#- First activity (event or completed order) in the last 7 days. -#}
with

new_users as (

    {{ rule_first_performed_within(
        'count_events + count_orders', within_days=positive_var('segmart_new_users_window_days'),
        as_name='activity',
    ) }}

),

as_of as (

    select as_of from {{ ref('int_as_of_resolved') }}

),

final as (

    select
        new_users.user_id,
        'new_users' as segment,
        as_of.as_of,
        new_users.first_activity_days_ago
    from new_users
    cross join as_of

)

select * from final
