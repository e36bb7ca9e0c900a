{#- The folder of one landing table: $SEGMART_RAW_DIR/<table> (default data/raw/<table>). -#}
{% macro landing_path(table_name) -%}
    {{ env_var('SEGMART_RAW_DIR', 'data/raw') | trim | replace('\\', '/') }}/{{ table_name }}
{%- endmacro %}
