{#- Whole days elapsed from start to end, rounded down: 0 for the 24 hours that end at `end`.
    "In the last N days" (end - N days < t <= end) is exactly whole_days_between(t, end) < N. -#}
{% macro whole_days_between(start_timestamp, end_timestamp) -%}
    cast(floor({{ seconds_between(start_timestamp, end_timestamp) }} / 86400) as integer)
{%- endmacro %}
