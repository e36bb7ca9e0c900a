{% macro time_zone_names() -%}
    {{ return(adapter.dispatch('time_zone_names', 'segmart')()) }}
{%- endmacro %}

{#- Other engines: stops compilation naming the macro and the adapter (unsupported_adapter). -#}
{% macro default__time_zone_names() -%}
    {{ unsupported_adapter('time_zone_names') }}
{%- endmacro %}

{#- DuckDB: the names of pg_timezone_names(). -#}
{% macro duckdb__time_zone_names() -%}
    select distinct name as time_zone_name from pg_timezone_names()
{%- endmacro %}

{#- Spark: pytz's common_timezones as an exploded literal array (Spark has no zone table;
    assert_macros_behave converts to every one of them on Spark). -#}
{% macro spark__time_zone_names() -%}
    {#- Spark has no zone table: the IANA zones of pytz (common_timezones), which Java's zone
        database knows too (tests/python/test_spark.py converts with every one of them) -#}
    select explode(array(
        {%- for name in modules.pytz.common_timezones %}
        '{{ name }}'{% if not loop.last %},{% endif %}
        {%- endfor %}
    )) as time_zone_name
{%- endmacro %}
