{#- The accepted files of one landing table, sorted, as a list of {file, kinds}: `file`
    relative to the table's folder (as landing_select reports it), `kinds` the kind of each
    of its columns (text, integer, float, boolean, timestamp, null, ...) from its footer.
    Read from the table check_landing_files keeps; before that table exists (dbt compile,
    docs) every Parquet file of the folder, with kinds unknown. Empty while parsing. -#}
{% macro landing_accepted_files(table_name) -%}
    {%- if not execute -%}
        {{ return([]) }}
    {%- endif -%}
    {{ return(adapter.dispatch('landing_accepted_files', 'segmart')(table_name)) }}
{%- endmacro %}

{% macro default__landing_accepted_files(table_name) -%}
    {{ unsupported_adapter('landing_accepted_files') }}
{%- endmacro %}

{% macro duckdb__landing_accepted_files(table_name) -%}
    {%- set relation = landing_file_checks_relation() -%}
    {%- set exists = run_query(
        "select count(*) from duckdb_tables() where schema_name = '" ~ relation.schema
        ~ "' and table_name = '" ~ relation.identifier ~ "'"
    ).columns[0].values()[0] > 0 -%}
    {%- if exists -%}
        {%- set found = run_query(
            "select file, column_kinds from " ~ relation ~ " where table_name = '"
            ~ table_name ~ "' and reason is null order by file"
        ) -%}
    {%- else -%}
        {%- set found = run_query(
            "select " ~ landing_relative_path('file', table_name) ~ " as file, "
            ~ "null as column_kinds from glob('" ~ landing_path(table_name)
            ~ "/**/*.parquet') order by file"
        ) -%}
    {%- endif -%}
    {%- set accepted = [] -%}
    {%- for row in found.rows -%}
        {%- do accepted.append({
            'file': row[0], 'kinds': fromjson(row[1]) if row[1] else {}
        }) -%}
    {%- endfor -%}
    {{ return(accepted) }}
{%- endmacro %}
