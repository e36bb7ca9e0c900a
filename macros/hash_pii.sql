{#- Salted SHA-256 (hex) of a normalised identifier. The salt ($SEGMART_PII_SALT) never enters
    the compiled SQL: on DuckDB the profile's plugin segmart.dbt_plugin provides the function
    segmart_pii_salt(); on Spark the session conf spark.segmart.pii_salt, substituted by
    Spark when it parses the statement (docs/personal-data.md). -#}
{% macro hash_pii(expression) -%}
    {{ return(adapter.dispatch('hash_pii', 'segmart')(expression)) }}
{%- endmacro %}

{% macro default__hash_pii(expression) -%}
    {{ unsupported_adapter('hash_pii') }}
{%- endmacro %}

{% macro spark__hash_pii(expression) -%}
    case when {{ expression }} is not null then
        sha2(concat('${spark.segmart.pii_salt}', lower(trim({{ expression }}))), 256)
    end
{%- endmacro %}

{% macro duckdb__hash_pii(expression) -%}
    case when {{ expression }} is not null then
        sha256(concat(segmart_pii_salt(), lower(trim({{ expression }}))))
    end
{%- endmacro %}
