{% macro delete_rows(relation, condition) -%}
    {{ return(adapter.dispatch('delete_rows', 'segmart')(relation, condition)) }}
{%- endmacro %}

{#- DuckDB and others: delete from ... where ... -#}
{% macro default__delete_rows(relation, condition) -%}
    delete from {{ relation }} where {{ condition }}
{%- endmacro %}

{#- Spark: DELETE with Delta; on plain Parquet, when some row matches, the table is rewritten
    without those rows through a copy (static overwrite). -#}
{% macro spark__delete_rows(relation, condition) -%}
    {%- if config.get('file_format') == 'delta' -%}
        delete from {{ relation }} where {{ condition }}
    {%- else -%}
        {%- set matching = run_query(
            "select count(*) from " ~ relation ~ " where " ~ condition) if execute else none -%}
        {%- if matching is not none and matching.columns[0].values()[0] > 0 -%}
            {%- set copy = relation.incorporate(
                path={'identifier': relation.identifier ~ '__kept'}) -%}
            {%- do run_query("drop table if exists " ~ copy) -%}
            {%- do run_query("create table " ~ copy ~ " using parquet as select * from "
                ~ relation ~ " where not coalesce((" ~ condition ~ "), false)") -%}
            {%- do run_query("set spark.sql.sources.partitionOverwriteMode = STATIC") -%}
            {%- do run_query("insert overwrite table " ~ relation ~ " select * from " ~ copy) -%}
            {%- do run_query("drop table " ~ copy) -%}
        {%- endif -%}
        select 1
    {%- endif -%}
{%- endmacro %}
