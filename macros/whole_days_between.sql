{% macro whole_days_between(start_timestamp, end_timestamp) -%}
    cast(floor({{ seconds_between(start_timestamp, end_timestamp) }} / 86400) as integer)
{%- endmacro %}
