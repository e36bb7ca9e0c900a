{#- Wall-clock time in an IANA time zone of a UTC timestamp; a null zone means UTC. -#}
{% macro to_local_time(utc_timestamp, time_zone) -%}
    {{ return(adapter.dispatch('to_local_time', 'segmart')(utc_timestamp, time_zone)) }}
{%- endmacro %}

{% macro default__to_local_time(utc_timestamp, time_zone) -%}
    {{ unsupported_adapter('to_local_time') }}
{%- endmacro %}

{% macro spark__to_local_time(utc_timestamp, time_zone) -%}
    from_utc_timestamp({{ utc_timestamp }}, coalesce({{ time_zone }}, 'UTC'))
{%- endmacro %}

{% macro duckdb__to_local_time(utc_timestamp, time_zone) -%}
    timezone(coalesce({{ time_zone }}, 'UTC'), cast({{ utc_timestamp }} as timestamptz))
{%- endmacro %}
