{% macro evidence_json(relation) -%}
    {%- set columns = [] -%}
    {%- if execute -%}
        {%- for column in adapter.get_columns_in_relation(relation) -%}
            {%- if column.name | lower not in ('user_id', 'segment', 'as_of') -%}
                {%- do columns.append(column.name) -%}
            {%- endif -%}
        {%- endfor -%}
    {%- endif -%}
    {{ return(adapter.dispatch('evidence_json', 'segmart')(columns)) }}
{%- endmacro %}

{#- Other engines: stops compilation naming the macro and the adapter (unsupported_adapter). -#}
{% macro default__evidence_json(columns) -%}
    {{ unsupported_adapter('evidence_json') }}
{%- endmacro %}

{#- Spark: to_json(named_struct(...)) of the rule columns, timestamps written to the microsecond
    with a space as DuckDB does. -#}
{% macro spark__evidence_json(columns) -%}
    {#- timestamps to the microsecond, with a space, as DuckDB writes them (Spark's default
        is milliseconds with a T and a zone) -#}
    {%- if columns -%}
        to_json(named_struct(
            {%- for column in columns %}
            '{{ column }}', {{ column }}{% if not loop.last %},{% endif %}
            {%- endfor %}
        ), map('timestampFormat', 'yyyy-MM-dd HH:mm:ss.SSSSSS'))
    {%- else -%}
        '{}'
    {%- endif -%}
{%- endmacro %}

{#- DuckDB: json_object of the rule columns, cast to text. -#}
{% macro duckdb__evidence_json(columns) -%}
    {%- if columns -%}
        cast(json_object(
            {%- for column in columns %}
            '{{ column }}', {{ column }}{% if not loop.last %},{% endif %}
            {%- endfor %}
        ) as string)
    {%- else -%}
        '{}'
    {%- endif -%}
{%- endmacro %}
