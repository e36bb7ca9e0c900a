{% macro seconds_between(start_timestamp, end_timestamp) -%}
    {{ return(adapter.dispatch('seconds_between', 'segmart')(start_timestamp, end_timestamp)) }}
{%- endmacro %}

{#- Other engines: stops compilation naming the macro and the adapter (unsupported_adapter). -#}
{% macro default__seconds_between(start_timestamp, end_timestamp) -%}
    {{ unsupported_adapter('seconds_between') }}
{%- endmacro %}

{#- Spark: difference of unix_micros, in seconds with microseconds. -#}
{% macro spark__seconds_between(start_timestamp, end_timestamp) -%}
    (unix_micros({{ end_timestamp }}) - unix_micros({{ start_timestamp }})) / 1000000.0
{%- endmacro %}

{#- DuckDB: difference of epoch_us, in seconds with microseconds. -#}
{% macro duckdb__seconds_between(start_timestamp, end_timestamp) -%}
    ((epoch_us({{ end_timestamp }}) - epoch_us({{ start_timestamp }})) / 1000000.0)
{%- endmacro %}
