{% macro money(expression) -%}
    cast({{ expression }} as decimal(18, 4))
{%- endmacro %}
