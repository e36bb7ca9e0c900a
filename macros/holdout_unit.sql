{% macro holdout_unit(segment, user_id, salt) -%}
    {{ return(adapter.dispatch('holdout_unit', 'segmart')(segment, user_id, salt)) }}
{%- endmacro %}

{#- Other engines: stops compilation naming the macro and the adapter (unsupported_adapter). -#}
{% macro default__holdout_unit(segment, user_id, salt) -%}
    {{ unsupported_adapter('holdout_unit') }}
{%- endmacro %}

{#- Spark: the same number through conv(..., 16, 10). -#}
{% macro spark__holdout_unit(segment, user_id, salt) -%}
    (conv(substr(md5(concat('{{ salt }}|', {{ segment }}, '|', {{ user_id }})), 1, 8), 16, 10)
        / 4294967296.0)
{%- endmacro %}

{#- DuckDB: the first 8 hex digits of md5(salt|segment|user_id) as a number in [0, 1). -#}
{% macro duckdb__holdout_unit(segment, user_id, salt) -%}
    (cast(cast(
        '0x' || substr(md5(concat('{{ salt }}|', {{ segment }}, '|', {{ user_id }})), 1, 8)
        as ubigint
    ) as double) / 4294967296.0)
{%- endmacro %}
