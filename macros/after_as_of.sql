{% macro after_as_of(column) -%}
    {{ column }} > (select as_of from {{ ref('int_as_of_resolved') }})
{%- endmacro %}
