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
