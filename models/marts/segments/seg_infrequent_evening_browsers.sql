{{ config(tags=['segment']) }}
{#- In the last 30 days: at least 3 sessions started in the local evening, making up at least
    half of the sessions started, and at most one completed order. -#}
{%- set window_days = positive_var('segmart_evening_browsers_window_days') %}

with

user_days as (

    select * from {{ ref('int_user_days_aggregated') }}
    where days_before_as_of < {{ window_days }}

),

as_of as (

    select as_of from {{ ref('int_as_of_resolved') }}

),

in_window as (

    select
        user_id,
        sum(count_evening_sessions_started) as count_evening_sessions,
        sum(count_sessions_started) as count_sessions,
        sum(count_orders) as count_orders
    from user_days
    group by user_id

),

final as (

    select
        in_window.user_id,
        'infrequent_evening_browsers' as segment,
        as_of.as_of,
        in_window.count_evening_sessions,
        in_window.count_sessions,
        in_window.count_orders
    from in_window
    cross join as_of
    where in_window.count_evening_sessions
        >= {{ positive_var('segmart_evening_browsers_min_sessions') }}
        and in_window.count_evening_sessions
        >= {{ share_var('segmart_evening_browsers_min_share') }} * in_window.count_sessions
        and in_window.count_orders
        <= {{ positive_var('segmart_evening_browsers_max_orders', minimum=0) }}

)

select * from final
