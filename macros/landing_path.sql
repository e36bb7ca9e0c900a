{% macro landing_path(table_name) -%}
    {{ env_var('SEGMART_RAW_DIR', 'data/raw') | trim | replace('\\', '/') }}/{{ table_name }}
{%- endmacro %}
