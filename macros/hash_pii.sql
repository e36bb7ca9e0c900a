{% macro hash_pii(expression) -%}
    {{ return(adapter.dispatch('hash_pii', 'segmart')(expression)) }}
{%- endmacro %}

{#- Other engines: stops compilation naming the macro and the adapter (unsupported_adapter). -#}
{% macro default__hash_pii(expression) -%}
    {{ unsupported_adapter('hash_pii') }}
{%- endmacro %}

{#- Spark: sha2(..., 256) of ${spark.segmart.pii_salt} (a session conf, substituted by Spark
    when it parses the statement) and the trimmed, lower-cased value. -#}
{% macro spark__hash_pii(expression) -%}
    case when {{ expression }} is not null then
        sha2(concat('${spark.segmart.pii_salt}', lower(trim({{ expression }}))), 256)
    end
{%- endmacro %}

{#- DuckDB: sha256 of segmart_pii_salt() (registered by the plugin segmart.dbt_plugin, so the
    salt never enters the compiled SQL) and the trimmed, lower-cased value. -#}
{% macro duckdb__hash_pii(expression) -%}
    case when {{ expression }} is not null then
        sha256(concat(segmart_pii_salt(), lower(trim({{ expression }}))))
    end
{%- endmacro %}
