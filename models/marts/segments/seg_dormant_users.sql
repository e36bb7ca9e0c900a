{{ config(tags=['segment']) }}
{#- Some activity (event or completed order) before, none in the last 30 days. -#}
with

dormant as (

    {{ rule_did_not_perform(
        'count_events + count_orders', within_days=positive_var('segmart_dormant_days'),
        as_name='activity',
    ) }}

),

as_of as (

    select as_of from {{ ref('int_as_of_resolved') }}

),

final as (

    select
        dormant.user_id,
        'dormant_users' as segment,
        as_of.as_of,
        dormant.last_activity_days_ago
    from dormant
    cross join as_of

)

select * from final
