{#- Exact elapsed seconds (fractional, microsecond precision) from start to end. -#}
{% macro seconds_between(start_timestamp, end_timestamp) -%}
    {{ return(adapter.dispatch('seconds_between', 'segmart')(start_timestamp, end_timestamp)) }}
{%- endmacro %}

{% macro default__seconds_between(start_timestamp, end_timestamp) -%}
    {{ unsupported_adapter('seconds_between') }}
{%- endmacro %}

{% macro spark__seconds_between(start_timestamp, end_timestamp) -%}
    (unix_micros({{ end_timestamp }}) - unix_micros({{ start_timestamp }})) / 1000000.0
{%- endmacro %}

{% macro duckdb__seconds_between(start_timestamp, end_timestamp) -%}
    ((epoch_us({{ end_timestamp }}) - epoch_us({{ start_timestamp }})) / 1000000.0)
{%- endmacro %}
