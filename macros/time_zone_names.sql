{#- A relation with one column, time_zone_name: every IANA zone the engine can convert to. -#}
{% macro time_zone_names() -%}
    {{ return(adapter.dispatch('time_zone_names', 'segmart')()) }}
{%- endmacro %}

{% macro default__time_zone_names() -%}
    {{ unsupported_adapter('time_zone_names') }}
{%- endmacro %}

{% macro duckdb__time_zone_names() -%}
    select distinct name as time_zone_name from pg_timezone_names()
{%- endmacro %}

{% macro spark__time_zone_names() -%}
    {#- Spark has no zone table: the IANA zones of pytz (common_timezones), which Java's zone
        database knows too (tests/python/test_spark.py converts with every one of them) -#}
    select explode(array(
        {%- for name in modules.pytz.common_timezones %}
        '{{ name }}'{% if not loop.last %},{% endif %}
        {%- endfor %}
    )) as time_zone_name
{%- endmacro %}
