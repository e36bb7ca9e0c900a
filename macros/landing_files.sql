{#- The accepted Parquet files of one landing folder ($SEGMART_RAW_DIR/<table>, subfolders
    included; landing_files_rejected lists the others), sorted, relative to that folder as landing_select reports them in its `filename` column. Empty while
    parsing. Only the incremental staging tables need it (landing_batch_files), and those
    are plain tables on Spark, so Spark has no implementation. -#}
{% macro landing_files(table_name) -%}
    {%- if not execute -%}
        {{ return([]) }}
    {%- endif -%}
    {{ return(adapter.dispatch('landing_files', 'segmart')(table_name)) }}
{%- endmacro %}

{% macro default__landing_files(table_name) -%}
    {{ unsupported_adapter('landing_files') }}
{%- endmacro %}

{% macro duckdb__landing_files(table_name) -%}
    {#- only the files check_landing_files accepted: a rejected file is not landed yet -#}
    {{ return(landing_accepted_files(table_name) | map(attribute='file') | list) }}
{%- endmacro %}
