{% macro hour_of_day(timestamp_expression) -%}
    cast(extract(hour from {{ timestamp_expression }}) as integer)
{%- endmacro %}
