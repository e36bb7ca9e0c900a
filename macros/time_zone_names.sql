{#- A relation with one column, time_zone_name: every IANA zone the engine can convert to. -#}
{% macro time_zone_names() -%}
    {{ return(adapter.dispatch('time_zone_names', 'segmart')()) }}
{%- endmacro %}

{% macro default__time_zone_names() -%}
    {{ exceptions.raise_compiler_error(
        "segmart: time_zone_names() has no implementation for adapter " ~ adapter.type()) }}
{%- endmacro %}

{% macro duckdb__time_zone_names() -%}
    select distinct name as time_zone_name from pg_timezone_names()
{%- endmacro %}
