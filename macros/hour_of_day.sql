{#- Hour of day (0-23) of a timestamp. -#}
{% macro hour_of_day(timestamp_expression) -%}
    cast(extract(hour from {{ timestamp_expression }}) as integer)
{%- endmacro %}
