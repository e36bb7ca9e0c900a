{% macro erased_rows_condition(relation, login_column='user_id') -%}
    {%- set requests = ref('stg_crm__erased_records') -%}
    user_id in (select user_id from {{ requests }})
    or anonymous_id in (
        select anonymous_id from {{ relation }}
        where {{ login_column }} in (select user_id from {{ requests }})
    )
{%- endmacro %}
