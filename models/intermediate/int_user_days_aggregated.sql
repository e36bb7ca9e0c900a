{#-
    One row per person per day, where a day is counted back from as_of: day 0 is the 24 hours
    that end at as_of (as_of - 1 day < t <= as_of), day 1 the 24 hours before, and so on.
    "In the last N days" is then exactly days_before_as_of < N, so features and rules read
    this small table instead of events.
-#}
{%- set event_types = [
    ('page_view', 'count_page_views'),
    ('product_view', 'count_product_views'),
    ('add_to_cart', 'count_add_to_carts'),
    ('remove_from_cart', 'count_remove_from_carts'),
    ('begin_checkout', 'count_begin_checkouts'),
    ('purchase', 'count_purchase_events'),
    ('search', 'count_searches'),
    ('video_view', 'count_video_views'),
    ('click', 'count_clicks'),
] %}
{%- set device_types = ['mobile', 'desktop', 'tablet'] %}
{%- set channels = ['web', 'app', 'server'] %}

with

as_of as (

    select as_of from {{ ref('int_as_of_resolved') }}

),

events as (

    -- the day bucket is counted here, not stored upstream: the event tables are incremental
    -- and must not change when as_of moves on
    select
        sessionized.*,
        {{ whole_days_between('sessionized.occurred_at', 'as_of.as_of') }} as days_before_as_of
    from {{ ref('int_events_sessionized') }} as sessionized
    cross join as_of

),

sessions as (

    select * from {{ ref('int_sessions_aggregated') }}

),

orders as (

    select * from {{ ref('int_orders_aggregated') }}

),


events_by_day as (

    select
        user_id,
        days_before_as_of,
        max(case when is_identified then 1 else 0 end) = 1 as is_identified,
        count(*) as count_events,
        {%- for event_type, column in event_types %}
            sum(case when event_type = '{{ event_type }}' then 1 else 0 end) as {{ column }},
        {%- endfor %}
        sum(
            case
                when event_type = 'add_to_cart' then {{ money('coalesce(price, 0) * quantity') }}
                else 0
            end
        ) as total_cart_value,
        max(case when event_type = 'add_to_cart' then occurred_at end) as last_add_to_cart_at,
        sum(
            case when {{ is_part_of_day(hour_of_day('occurred_at_local'), 'morning') }}
                    then 1
                else 0
            end
        ) as count_morning_events,
        sum(
            case when {{ is_part_of_day(hour_of_day('occurred_at_local'), 'evening') }}
                    then 1
                else 0
            end
        ) as count_evening_events,
        sum(coalesce(engagement_ms, 0)) as total_engagement_ms,
        {%- for device_type in device_types %}
            sum(case when device_type = '{{ device_type }}' then 1 else 0 end)
                as count_events_{{ device_type }},
        {%- endfor %}
        {%- for channel in channels %}
            sum(case when channel = '{{ channel }}' then 1 else 0 end)
                as count_events_{{ channel }},
        {%- endfor %}
        max_by(country, occurred_at) as last_country,
        min(occurred_at) as first_event_at,
        max(occurred_at) as last_event_at
    from events
    group by 1, 2

),

sessions_by_day as (

    select
        user_id,
        days_before_as_of,
        count(*) as count_sessions_started,
        sum(case when is_morning_start then 1 else 0 end) as count_morning_sessions_started,
        sum(case when is_evening_start then 1 else 0 end) as count_evening_sessions_started,
        sum(duration_seconds) as total_session_seconds
    from sessions
    group by 1, 2

),

orders_by_day as (

    select
        user_id,
        days_before_as_of,
        count(*) as count_orders,
        sum(total_revenue) as total_revenue,
        sum(case when is_morning then 1 else 0 end) as count_morning_orders,
        sum(case when is_evening then 1 else 0 end) as count_evening_orders,
        min(ordered_at) as first_order_at,
        max(ordered_at) as last_order_at
    from orders
    group by 1, 2

),

person_days as (

    select
        user_id,
        days_before_as_of
    from events_by_day
    union
    select
        user_id,
        days_before_as_of
    from sessions_by_day
    union
    select
        user_id,
        days_before_as_of
    from orders_by_day

),

final as (

    select
        person_days.user_id,
        person_days.days_before_as_of,
        {{ dbt.dateadd('day', '-1 - person_days.days_before_as_of', 'as_of.as_of') }}
            as day_started_after,
        {{ dbt.dateadd('day', '-person_days.days_before_as_of', 'as_of.as_of') }}
            as day_ended_at,
        -- orders come from the shop, which only knows logged-in customers
        coalesce(events_by_day.is_identified, false) or orders_by_day.user_id is not null
            as is_identified,
        coalesce(events_by_day.count_events, 0) as count_events,
        {%- for _, column in event_types %}
            coalesce(events_by_day.{{ column }}, 0) as {{ column }},
        {%- endfor %}
        coalesce(events_by_day.total_cart_value, 0) as total_cart_value,
        events_by_day.last_add_to_cart_at,
        coalesce(events_by_day.count_morning_events, 0) as count_morning_events,
        coalesce(events_by_day.count_evening_events, 0) as count_evening_events,
        coalesce(events_by_day.total_engagement_ms, 0) as total_engagement_ms,
        {%- for device_type in device_types %}
            coalesce(events_by_day.count_events_{{ device_type }}, 0)
                as count_events_{{ device_type }},
        {%- endfor %}
        {%- for channel in channels %}
            coalesce(events_by_day.count_events_{{ channel }}, 0) as count_events_{{ channel }},
        {%- endfor %}
        events_by_day.last_country,
        events_by_day.first_event_at,
        events_by_day.last_event_at,
        coalesce(sessions_by_day.count_sessions_started, 0) as count_sessions_started,
        coalesce(sessions_by_day.count_morning_sessions_started, 0)
            as count_morning_sessions_started,
        coalesce(sessions_by_day.count_evening_sessions_started, 0)
            as count_evening_sessions_started,
        coalesce(sessions_by_day.total_session_seconds, 0) as total_session_seconds,
        coalesce(orders_by_day.count_orders, 0) as count_orders,
        coalesce(orders_by_day.total_revenue, 0) as total_revenue,
        coalesce(orders_by_day.count_morning_orders, 0) as count_morning_orders,
        coalesce(orders_by_day.count_evening_orders, 0) as count_evening_orders,
        orders_by_day.first_order_at,
        orders_by_day.last_order_at,
        least(
            coalesce(events_by_day.first_event_at, orders_by_day.first_order_at),
            coalesce(orders_by_day.first_order_at, events_by_day.first_event_at)
        ) as first_activity_at,
        greatest(
            coalesce(events_by_day.last_event_at, orders_by_day.last_order_at),
            coalesce(orders_by_day.last_order_at, events_by_day.last_event_at)
        ) as last_activity_at
    from person_days
    cross join as_of
    left join events_by_day
        on person_days.user_id = events_by_day.user_id
            and person_days.days_before_as_of = events_by_day.days_before_as_of
    left join sessions_by_day
        on person_days.user_id = sessions_by_day.user_id
            and person_days.days_before_as_of = sessions_by_day.days_before_as_of
    left join orders_by_day
        on person_days.user_id = orders_by_day.user_id
            and person_days.days_before_as_of = orders_by_day.days_before_as_of

)

select * from final
