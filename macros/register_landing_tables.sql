{#- on-run-start: make every landing table with files queryable as its source relation.
    DuckDB reads the files straight from the source's external_location (nothing to do);
    Spark gets an external table over each folder, made anew on every run so new files and
    new columns are seen. Dropping an external table never touches its files. -#}
{% macro register_landing_tables(file_counts) -%}
    {{ return(adapter.dispatch('register_landing_tables', 'segmart')(file_counts)) }}
{%- endmacro %}

{% macro default__register_landing_tables(file_counts) -%}
{%- endmacro %}

{% macro spark__register_landing_tables(file_counts) -%}
    {%- set root = spark_landing_root() -%}
    {%- for source_node in graph.sources.values() | sort(attribute='name') -%}
        {%- if source_node.package_name == project_name -%}
            {%- set relation = source(source_node.source_name, source_node.name) -%}
            {%- do run_query("create database if not exists " ~ relation.schema) -%}
            {%- do run_query("drop table if exists " ~ relation) -%}
            {%- if file_counts.get(source_node.name, 0) > 0 -%}
                {%- do run_query(
                    "create table " ~ relation ~ " using parquet options ("
                    ~ "recursiveFileLookup 'true', pathGlobFilter '*.parquet', mergeSchema 'true'"
                    ~ ") location '" ~ root ~ source_node.name ~ "'"
                ) -%}
            {%- endif -%}
        {%- endif -%}
    {%- endfor -%}
{%- endmacro %}
