{#- How the history marts (one slice per as_of, kept across builds) replace the slice of their
    own as_of, as config() arguments. DuckDB: delete+insert on as_of. Spark: insert_overwrite
    of the as_of partition (dynamic partition overwrite, Parquet or Delta). -#}
{% macro history_table_config() -%}
    {{ return(adapter.dispatch('history_table_config', 'segmart')()) }}
{%- endmacro %}

{#- DuckDB and others: incremental, delete+insert on as_of. -#}
{% macro default__history_table_config() -%}
    {{ return({'materialized': 'incremental', 'incremental_strategy': 'delete+insert',
               'unique_key': 'as_of'}) }}
{%- endmacro %}

{#- Spark: incremental insert_overwrite of the as_of partition (partition_by as_of). -#}
{% macro spark__history_table_config() -%}
    {{ return({'materialized': 'incremental', 'incremental_strategy': 'insert_overwrite',
               'partition_by': ['as_of']}) }}
{%- endmacro %}
