{#- How the event-grain models (int_events_stitched, int_events_sessionized) are kept up to date,
    as config() arguments. DuckDB: incremental, delete+insert on event_id. Spark with Delta
    (Databricks): incremental, merge on event_id. Spark on plain Parquet cannot delete or
    merge rows, so there they are tables rebuilt in full (Spark's parallelism pays for that). -#}
{% macro event_table_config() -%}
    {{ return(adapter.dispatch('event_table_config', 'segmart')()) }}
{%- endmacro %}

{#- DuckDB and others: incremental, delete+insert. -#}
{% macro default__event_table_config() -%}
    {{ return({'materialized': 'incremental', 'incremental_strategy': 'delete+insert'}) }}
{%- endmacro %}

{#- Spark: incremental merge with file_format delta; a table rebuilt in full on plain Parquet
    (no DELETE or MERGE there). -#}
{% macro spark__event_table_config() -%}
    {%- if config.get('file_format') == 'delta' -%}
        {{ return({'materialized': 'incremental', 'incremental_strategy': 'merge'}) }}
    {%- endif -%}
    {{ return({'materialized': 'table'}) }}
{%- endmacro %}
