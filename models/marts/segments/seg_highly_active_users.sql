{{ config(tags=['segment']) }}
{#- At least 5 sessions started in the last 7 days. -#}
with

active as (

    {{ rule_performed(
        'count_sessions_started',
        within_days=positive_var('segmart_highly_active_window_days'),
        at_least=positive_var('segmart_highly_active_min_sessions'),
        as_name='count_sessions_in_window',
    ) }}

),

as_of as (

    select as_of from {{ ref('int_as_of_resolved') }}

),

final as (

    select
        active.user_id,
        'highly_active_users' as segment,
        as_of.as_of,
        active.count_sessions_in_window
    from active
    cross join as_of

)

select * from final
