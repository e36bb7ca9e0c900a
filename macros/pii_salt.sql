{% macro pii_salt() -%}
    {%- set salt = env_var('SEGMART_PII_SALT', 'segmart-development-salt') -%}
    {%- if "'" in salt or '\\' in salt -%}
        {{ exceptions.raise_compiler_error(
            "SEGMART_PII_SALT must not contain quotes or backslashes") }}
    {%- endif -%}
    {{ salt }}
{%- endmacro %}
