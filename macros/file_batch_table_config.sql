{#- How the tables kept per landed file (base_tracking__events, stg_tracking__events,
    data_quality_file_row_counts) are kept up to date, as config() arguments, with
    `unique_key` the key a batch replaces. DuckDB: incremental, delete+insert, so a build
    reads only the files it has not stored. Spark: tables rebuilt in full each run (plain
    Parquet has no DELETE; Delta's merge needs a key unique in the batch, and a landed file
    is not one). -#}
{% macro file_batch_table_config(unique_key) -%}
    {{ return(adapter.dispatch('file_batch_table_config', 'segmart')(unique_key)) }}
{%- endmacro %}

{#- DuckDB and other engines: incremental, delete+insert on the given unique_key. -#}
{% macro default__file_batch_table_config(unique_key) -%}
    {{ return({'materialized': 'incremental', 'incremental_strategy': 'delete+insert',
               'unique_key': unique_key}) }}
{%- endmacro %}

{#- Spark: a table rebuilt in full each run (plain Parquet has no DELETE; Delta's merge needs a
    key unique in the batch, and a landed file is not one). -#}
{% macro spark__file_batch_table_config(unique_key) -%}
    {{ return({'materialized': 'table'}) }}
{%- endmacro %}
