{#- user_features' query at any as_of over the given inputs (persons, the day table at that
    as_of, completed orders up to it); the feature snapshots call it with an earlier as_of. -#}
{% macro user_features_at(as_of, persons, user_days, orders) %}
{%- set windows = [7, 30, 90] %}

with

persons as (

    select user_id from {{ persons }}

),

user_days as (

    select * from {{ user_days }}

),

orders as (

    select * from {{ orders }}

),

rfm_segments as (

    select * from {{ ref('rfm_segments') }}

),

as_of as (

    select as_of from {{ as_of }}

),

aggregated_to_users as (

    select
        user_id,
        max(last_activity_at) as last_activity_at,
        max(last_order_at) as last_order_at,
        {%- for days in windows %}
            sum(case when days_before_as_of < {{ days }} then count_sessions_started else 0 end)
                as count_sessions_{{ days }}d,
            sum(case when days_before_as_of < {{ days }} then count_events else 0 end)
                as count_events_{{ days }}d,
            sum(case when days_before_as_of < {{ days }} then count_product_views else 0 end)
                as count_product_views_{{ days }}d,
            sum(case when days_before_as_of < {{ days }} then count_add_to_carts else 0 end)
                as count_add_to_carts_{{ days }}d,
        {%- endfor %}
        {%- for days in [30, 90] %}
            sum(case when days_before_as_of < {{ days }} then count_orders else 0 end)
                as count_orders_{{ days }}d,
            sum(case when days_before_as_of < {{ days }} then total_revenue else 0 end)
                as total_revenue_{{ days }}d,
        {%- endfor %}
        sum(count_orders) as count_orders_lifetime,
        sum(total_revenue) as total_revenue_lifetime,
        sum(case when days_before_as_of < 90 then count_morning_orders else 0 end)
            as count_morning_orders_90d,
        sum(case when days_before_as_of < 30 then count_evening_sessions_started else 0 end)
            as count_evening_sessions_30d,
        sum(total_session_seconds) as total_session_seconds,
        sum(count_sessions_started) as count_sessions_lifetime
    from user_days
    group by 1

),

order_days as (

    -- lifetimes' daily periods: orders summed per person per calendar (UTC) day
    select
        user_id,
        ordered_date,
        sum(total_revenue) as total_revenue
    from orders
    group by 1, 2

),

free_items as (

    select
        user_id,
        sum(count_free_item_lines) as count_free_items_lifetime
    from orders
    group by 1

),

btyd as (

    select
        order_days.user_id,
        count(*) - 1 as btyd_frequency,
        {{ dbt.datediff('min(order_days.ordered_date)', 'max(order_days.ordered_date)', 'day') }}
            as btyd_recency,
        {{ dbt.datediff('min(order_days.ordered_date)', 'cast(min(as_of.as_of) as date)', 'day') }}
            as btyd_t,
        case
            when count(*) > 1
                -- in double, like avg_order_value (Spark rounds decimal quotients)
                then cast(
                        sum(order_days.total_revenue)
                        - min_by(order_days.total_revenue, order_days.ordered_date) as double
                    )
                    / (count(*) - 1)
            else 0
        end as btyd_monetary_value
    from order_days
    cross join as_of
    group by 1

),

rfm_scored as (

    -- quintile of the tie group's first buyer (docs/segments.md, RFM): the lowest values
    -- score 1, equal values score alike, however large a tie group is
    select
        aggregated_to_users.user_id,
        {{ rfm_quintile(
            whole_days_between('aggregated_to_users.last_order_at', 'as_of.as_of') ~ ' desc'
        ) }} as r_score,
        {{ rfm_quintile('aggregated_to_users.count_orders_lifetime') }} as f_score,
        {{ rfm_quintile('aggregated_to_users.total_revenue_lifetime') }} as m_score
    from aggregated_to_users
    cross join as_of
    where aggregated_to_users.count_orders_lifetime > 0

),

final as (

    select
        persons.user_id,
        as_of.as_of,
        aggregated_to_users.last_activity_at,
        {{ whole_days_between('aggregated_to_users.last_activity_at', 'as_of.as_of') }}
            as recency_days,
        {%- for days in windows %}
            {%- for measure in ['sessions', 'events', 'product_views', 'add_to_carts'] %}
                cast(coalesce(aggregated_to_users.count_{{ measure }}_{{ days }}d, 0) as bigint)
                    as count_{{ measure }}_{{ days }}d,
            {%- endfor %}
        {%- endfor %}
        {%- for window in ['30d', '90d', 'lifetime'] %}
            cast(coalesce(aggregated_to_users.count_orders_{{ window }}, 0) as bigint)
                as count_orders_{{ window }},
            cast(coalesce(aggregated_to_users.total_revenue_{{ window }}, 0) as double)
                as total_revenue_{{ window }},
        {%- endfor %}
        -- in double: Spark would round a decimal quotient to 6 places, DuckDB does not
        cast(aggregated_to_users.total_revenue_lifetime as double)
        / nullif(aggregated_to_users.count_orders_lifetime, 0) as avg_order_value,
        cast(aggregated_to_users.total_session_seconds as double)
        / nullif(aggregated_to_users.count_sessions_lifetime, 0) as avg_session_seconds,
        cast(
            aggregated_to_users.count_morning_orders_90d
            / nullif(aggregated_to_users.count_orders_90d, 0) as double
        ) as share_orders_morning_90d,
        cast(
            aggregated_to_users.count_evening_sessions_30d
            / nullif(aggregated_to_users.count_sessions_30d, 0) as double
        ) as share_sessions_evening_30d,
        aggregated_to_users.last_order_at,
        {{ whole_days_between('aggregated_to_users.last_order_at', 'as_of.as_of') }}
            as days_since_last_order,
        rfm_scored.r_score,
        rfm_scored.f_score,
        rfm_scored.m_score,
        cast(rfm_scored.r_score as string)
        || cast(rfm_scored.f_score as string)
        || cast(rfm_scored.m_score as string) as rfm_score,
        coalesce(rfm_segments.rfm_segment, 'no_purchases') as rfm_segment,
        cast(coalesce(free_items.count_free_items_lifetime, 0) as bigint)
            as count_free_items_lifetime,
        cast(btyd.btyd_frequency as bigint) as btyd_frequency,
        cast(btyd.btyd_recency as double) as btyd_recency,
        cast(btyd.btyd_t as double) as btyd_t,
        cast(btyd.btyd_monetary_value as double) as btyd_monetary_value
    from persons
    cross join as_of
    left join aggregated_to_users
        on persons.user_id = aggregated_to_users.user_id
    left join rfm_scored
        on persons.user_id = rfm_scored.user_id
    left join rfm_segments
        on rfm_scored.r_score = rfm_segments.r_score
            and rfm_scored.f_score = rfm_segments.f_score
    left join free_items
        on persons.user_id = free_items.user_id
    left join btyd
        on persons.user_id = btyd.user_id

)

select * from final
{% endmacro %}
