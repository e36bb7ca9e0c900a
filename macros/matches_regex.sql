{% macro matches_regex(expression, pattern) -%}
    {{ return(adapter.dispatch('matches_regex', 'segmart')(expression, pattern)) }}
{%- endmacro %}

{#- Other engines: stops compilation naming the macro and the adapter (unsupported_adapter). -#}
{% macro default__matches_regex(expression, pattern) -%}
    {{ unsupported_adapter('matches_regex') }}
{%- endmacro %}

{#- Spark: rlike. -#}
{% macro spark__matches_regex(expression, pattern) -%}
    ({{ expression }} rlike '{{ pattern }}')
{%- endmacro %}

{#- DuckDB: regexp_matches. -#}
{% macro duckdb__matches_regex(expression, pattern) -%}
    regexp_matches({{ expression }}, '{{ pattern }}')
{%- endmacro %}
