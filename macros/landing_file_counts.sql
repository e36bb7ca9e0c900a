{% macro landing_file_counts() -%}
    {%- if not execute -%}
        {{ return({}) }}
    {%- endif -%}
    {{ return(adapter.dispatch('landing_file_counts', 'segmart')()) }}
{%- endmacro %}

{% macro default__landing_file_counts() -%}
    {{ unsupported_adapter('landing_file_counts') }}
{%- endmacro %}

{% macro duckdb__landing_file_counts() -%}
    {%- set root = landing_path('') -%}
    {%- set found = run_query(
        "select split_part(substr(file, " ~ (root | length + 1) ~ "), '/', 1) as table_name, "
        ~ "count(*) as files from glob('" ~ root ~ "**/*.parquet') group by 1"
    ) -%}
    {{ return(dict(zip(found.columns[0].values(), found.columns[1].values()))) }}
{%- endmacro %}

{% macro spark__landing_file_counts() -%}
    {#- binaryFile lists the files without reading them (content is never selected); its
        paths are URIs (file:/...), so the table is the folder that follows the root -#}
    {%- set root = spark_landing_root() -%}
    {%- set anchor = root.split(':', 1)[1] if modules.re.match('^[A-Za-z][A-Za-z0-9+.-]*:', root)
        else root -%}
    {%- do run_query(
        "create or replace temporary view segmart_landing_files using binaryFile options ("
        ~ "path '" ~ root ~ "', recursiveFileLookup 'true', pathGlobFilter '*.parquet')"
    ) -%}
    {%- set found = run_query(
        "select element_at(split(substr(path, locate('" ~ anchor ~ "', path) + "
        ~ (anchor | length) ~ "), '/'), 1) as table_name, count(*) as files "
        ~ "from segmart_landing_files group by 1"
    ) -%}
    {{ return(dict(zip(found.columns[0].values(), found.columns[1].values()))) }}
{%- endmacro %}
