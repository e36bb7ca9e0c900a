{#- The activity measures of a person over a stretch of time, defined once for the two places
    that compute them: int_user_hours_aggregated (events -> one row per person and hour) and
    int_user_days_aggregated (those hours, plus the events of the hour that as_of splits ->
    one row per person and day). Every measure can be rolled up from partial rows: sums add,
    first and last take min and max, "any" is a boolean or, and "latest" keeps the value of
    the partial row with the latest event. -#}
{% macro activity_measures() -%}
    {%- set measures = [
        {'name': 'is_identified', 'kind': 'any', 'expression': 'is_identified'},
        {'name': 'count_events', 'kind': 'sum', 'expression': '1'},
    ] -%}
    {%- for event_type, column in [
        ('page_view', 'count_page_views'),
        ('product_view', 'count_product_views'),
        ('add_to_cart', 'count_add_to_carts'),
        ('remove_from_cart', 'count_remove_from_carts'),
        ('begin_checkout', 'count_begin_checkouts'),
        ('purchase', 'count_purchase_events'),
        ('search', 'count_searches'),
        ('video_view', 'count_video_views'),
        ('click', 'count_clicks'),
    ] -%}
        {%- do measures.append({'name': column, 'kind': 'sum',
            'expression': "case when event_type = '" ~ event_type ~ "' then 1 else 0 end"}) -%}
    {%- endfor -%}
    {%- do measures.extend([
        {'name': 'total_cart_value', 'kind': 'sum', 'data_type': 'decimal(38, 4)', 'expression':
            "case when event_type = 'add_to_cart' then "
            ~ money('coalesce(price, 0) * quantity') ~ " else 0 end"},
        {'name': 'last_add_to_cart_at', 'kind': 'max',
            'expression': "case when event_type = 'add_to_cart' then occurred_at end"},
        {'name': 'count_morning_events', 'kind': 'sum', 'expression': 'case when '
            ~ is_part_of_day(hour_of_day('occurred_at_local'), 'morning') ~ ' then 1 else 0 end'},
        {'name': 'count_evening_events', 'kind': 'sum', 'expression': 'case when '
            ~ is_part_of_day(hour_of_day('occurred_at_local'), 'evening') ~ ' then 1 else 0 end'},
        {'name': 'total_engagement_ms', 'kind': 'sum', 'expression': 'coalesce(engagement_ms, 0)'},
    ]) -%}
    {%- for device_type in ['mobile', 'desktop', 'tablet'] -%}
        {%- do measures.append({'name': 'count_events_' ~ device_type, 'kind': 'sum',
            'expression': "case when device_type = '" ~ device_type ~ "' then 1 else 0 end"}) -%}
    {%- endfor -%}
    {%- for channel in ['web', 'app', 'server'] -%}
        {%- do measures.append({'name': 'count_events_' ~ channel, 'kind': 'sum',
            'expression': "case when channel = '" ~ channel ~ "' then 1 else 0 end"}) -%}
    {%- endfor -%}
    {%- do measures.extend([
        {'name': 'last_country', 'kind': 'latest', 'expression': 'country'},
        {'name': 'first_event_at', 'kind': 'min', 'expression': 'occurred_at'},
        {'name': 'last_event_at', 'kind': 'max', 'expression': 'occurred_at'},
    ]) -%}
    {{ return(measures) }}
{%- endmacro %}

{% macro activity_aggregates() -%}
    {%- for measure in activity_measures() %}
        {{ _activity_aggregate(measure, measure.expression, 'occurred_at') }}
            as {{ measure.name }}{{ ',' if not loop.last }}
    {%- endfor %}
{%- endmacro %}

{% macro activity_rollup() -%}
    {%- for measure in activity_measures() %}
        {{ _activity_aggregate(measure, measure.name, 'last_event_at') }}
            as {{ measure.name }}{{ ',' if not loop.last }}
    {%- endfor %}
{%- endmacro %}

{#- One measure's aggregate expression for activity_aggregates and activity_rollup. Sums are
    cast (to bigint, or the measure's data_type), so an hour and a day of the same measure have
    one type on every engine. -#}
{% macro _activity_aggregate(measure, expression, latest_by) -%}
    {%- set kind = measure.kind -%}
    {%- if kind == 'sum' -%}
        cast(sum({{ expression }}) as {{ measure.get('data_type', 'bigint') }})
    {%- elif kind == 'any' -%}
        max(case when {{ expression }} then 1 else 0 end) = 1
    {%- elif kind == 'latest' -%}
        max_by({{ expression }}, {{ latest_by }})
    {%- else -%}
        {{ kind }}({{ expression }})
    {%- endif -%}
{%- endmacro %}
