{#- A salted hash of (segment, user_id) mapped to [0, 1): the first 8 hex digits of
    md5('<salt>|<segment>|<user_id>') over 16^8. Same formula as segmart.holdouts. -#}
{% macro holdout_unit(segment, user_id, salt) -%}
    {{ return(adapter.dispatch('holdout_unit', 'segmart')(segment, user_id, salt)) }}
{%- endmacro %}

{% macro default__holdout_unit(segment, user_id, salt) -%}
    {{ unsupported_adapter('holdout_unit') }}
{%- endmacro %}

{% macro spark__holdout_unit(segment, user_id, salt) -%}
    (conv(substr(md5(concat('{{ salt }}|', {{ segment }}, '|', {{ user_id }})), 1, 8), 16, 10)
        / 4294967296.0)
{%- endmacro %}

{% macro duckdb__holdout_unit(segment, user_id, salt) -%}
    (cast(cast(
        '0x' || substr(md5(concat('{{ salt }}|', {{ segment }}, '|', {{ user_id }})), 1, 8)
        as ubigint
    ) as double) / 4294967296.0)
{%- endmacro %}
