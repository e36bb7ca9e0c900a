{% macro missing_from(relation, column) -%}
    {{ column }} not in (select {{ column }} from {{ relation }})
{%- endmacro %}
