{#- Money as decimal(18, 4). Sums of decimals are exact, so a rebuild gives the same figures
    to the last digit; sums of doubles depend on the order in which parallel threads add. -#}
{% macro money(expression) -%}
    cast({{ expression }} as decimal(18, 4))
{%- endmacro %}
