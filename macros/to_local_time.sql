{% macro to_local_time(utc_timestamp, time_zone) -%}
    {{ return(adapter.dispatch('to_local_time', 'segmart')(utc_timestamp, time_zone)) }}
{%- endmacro %}

{#- Other engines: stops compilation naming the macro and the adapter (unsupported_adapter). -#}
{% macro default__to_local_time(utc_timestamp, time_zone) -%}
    {{ unsupported_adapter('to_local_time') }}
{%- endmacro %}

{#- Spark: from_utc_timestamp, UTC when the zone is null. -#}
{% macro spark__to_local_time(utc_timestamp, time_zone) -%}
    from_utc_timestamp({{ utc_timestamp }}, coalesce({{ time_zone }}, 'UTC'))
{%- endmacro %}

{#- DuckDB: timezone(zone, timestamptz), UTC when the zone is null. -#}
{% macro duckdb__to_local_time(utc_timestamp, time_zone) -%}
    timezone(coalesce({{ time_zone }}, 'UTC'), cast({{ utc_timestamp }} as timestamptz))
{%- endmacro %}
