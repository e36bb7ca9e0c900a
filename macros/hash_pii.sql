{#- Salted SHA-256 (hex) of a normalised identifier; salt from env SEGMART_PII_SALT. -#}
{% macro hash_pii(expression) -%}
    {{ return(adapter.dispatch('hash_pii', 'segmart')(expression)) }}
{%- endmacro %}

{% macro default__hash_pii(expression) -%}
    {{ unsupported_adapter('hash_pii') }}
{%- endmacro %}

{% macro spark__hash_pii(expression) -%}
    case when {{ expression }} is not null then
        sha2(concat('{{ pii_salt() }}', lower(trim({{ expression }}))), 256)
    end
{%- endmacro %}

{% macro duckdb__hash_pii(expression) -%}
    case when {{ expression }} is not null then
        sha256(concat('{{ pii_salt() }}', lower(trim({{ expression }}))))
    end
{%- endmacro %}
