{#- The file checks of check_landing_files as a query (table_name, file, path, size_bytes,
    modified_at, reason, first_rejected_at, checked_at): the stored table on DuckDB; no rows
    on engines that check no files (Spark), and none before the first build's hook. -#}
{% macro landing_file_checks() -%}
    {{ return(adapter.dispatch('landing_file_checks', 'segmart')()) }}
{%- endmacro %}

{% macro default__landing_file_checks() -%}
    select
        cast(null as string) as table_name,
        cast(null as string) as file,
        cast(null as string) as path,
        cast(null as bigint) as size_bytes,
        cast(null as timestamp) as modified_at,
        cast(null as string) as reason,
        cast(null as timestamp) as first_rejected_at,
        cast(null as timestamp) as checked_at
    where false
{%- endmacro %}

{% macro duckdb__landing_file_checks() -%}
    {%- set relation = landing_file_checks_relation() -%}
    {%- set exists = execute and run_query(
        "select count(*) from duckdb_tables() where schema_name = '" ~ relation.schema
        ~ "' and table_name = '" ~ relation.identifier ~ "'"
    ).columns[0].values()[0] > 0 -%}
    {%- if exists -%}
        select
            table_name,
            file,
            path,
            size_bytes,
            modified_at,
            reason,
            first_rejected_at,
            checked_at
        from {{ relation }}
    {%- else -%}
        {{ default__landing_file_checks() }}
    {%- endif -%}
{%- endmacro %}
