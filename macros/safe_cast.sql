{#- dbt's default safe_cast raises on DuckDB; try_cast returns null for what will not cast. -#}
{% macro duckdb__safe_cast(field, type) -%}
    try_cast({{ field }} as {{ type }})
{%- endmacro %}
