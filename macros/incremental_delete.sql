{% macro incremental_delete(condition) -%}
    {%- if is_incremental() -%}
        {{ delete_rows(this, condition) }}
    {%- else -%}
        select 1
    {%- endif -%}
{%- endmacro %}
