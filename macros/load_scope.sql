{% macro load_scope(relation, column) -%}
    {%- set scope = var('segmart_test_scope') | string | trim | lower -%}
    {%- if scope not in ('load', 'full') -%}
        {{ exceptions.raise_compiler_error(
            "var segmart_test_scope must be 'load' or 'full', got '" ~ scope ~ "'") }}
    {%- endif -%}
    {%- if scope == 'full' or flags.FULL_REFRESH or not execute -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set found = run_query(
        "select cast(max(" ~ column ~ ") as " ~ dbt.type_string() ~ ") as newest from "
        ~ relation) -%}
    {%- set newest = found.columns[0].values()[0] -%}
    {%- if newest is none -%}
        {{ return(none) }}
    {%- elif newest is not string -%}
        {#- agate reads a timestamp-like string as a (naive) datetime: the same wall clock -#}
        {%- set newest = newest.strftime('%Y-%m-%d %H:%M:%S.%f') -%}
    {%- endif -%}
    {{ return(column ~ " >= cast('" ~ newest ~ "' as timestamp)") }}
{%- endmacro %}
