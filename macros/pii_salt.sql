{#- The salt for hash_pii. A fixed development salt keeps demos reproducible; production sets
    SEGMART_PII_SALT (a quote in it would break the SQL literal, so it is refused). -#}
{% macro pii_salt() -%}
    {%- set salt = env_var('SEGMART_PII_SALT', 'segmart-development-salt') -%}
    {%- if "'" in salt or '\\' in salt -%}
        {{ exceptions.raise_compiler_error(
            "SEGMART_PII_SALT must not contain quotes or backslashes") }}
    {%- endif -%}
    {{ salt }}
{%- endmacro %}
