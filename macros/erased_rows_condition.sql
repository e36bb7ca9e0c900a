{#- A SQL condition true for the rows of `relation` (with user_id and anonymous_id columns,
    as delivered) that belong to a person with a valid deletion request: their own rows and
    every row of a device seen logged in as them. The post-hooks of the incremental staging
    tables delete those rows when a request lands after the rows were stored. -#}
{% macro erased_rows_condition(relation) -%}
    {%- set requests = ref('stg_crm__deletion_requests') -%}
    user_id in (select user_id from {{ requests }})
    or anonymous_id in (
        select anonymous_id from {{ relation }}
        where user_id in (select user_id from {{ requests }})
    )
{%- endmacro %}
