{#- The one as_of every intermediate model and mart evaluates at: the `as_of` var, or with
    'latest' the latest valid activity. Staged (never rejected) rows only, so a bad row from
    the year 2125 cannot move it. -#}
{%- set as_of_var = as_of_literal() %}

with

events as (

    select max(occurred_at) as latest_event_at
    from {{ ref('stg_tracking__events') }}

),

orders as (

    select max(ordered_at) as latest_order_at
    from {{ ref('stg_shop__order_lines') }}
    where is_completed

),

final as (

    select
        {% if as_of_var is not none -%}
            {{ as_of_var }} as as_of,
            'var' as as_of_source,
        {%- else -%}
            greatest(
                coalesce(events.latest_event_at, orders.latest_order_at),
                coalesce(orders.latest_order_at, events.latest_event_at)
            ) as as_of,
            'latest_activity' as as_of_source,
        {%- endif %}
        events.latest_event_at,
        orders.latest_order_at
    from events
    cross join orders

)

select * from final
