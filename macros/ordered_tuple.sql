{% macro ordered_tuple(expressions) -%}
    {{ return(adapter.dispatch('ordered_tuple', 'segmart')(expressions)) }}
{%- endmacro %}

{#- Other engines (Spark): struct(...), compared field by field. -#}
{% macro default__ordered_tuple(expressions) -%}
    struct({{ expressions | join(', ') }})
{%- endmacro %}

{#- DuckDB: row(...), an unnamed struct, compared field by field. -#}
{% macro duckdb__ordered_tuple(expressions) -%}
    row({{ expressions | join(', ') }})
{%- endmacro %}
