{#- The rows of CTE `cte_name` whose `identity_columns` name no erased person
    (stg_crm__erased_identities: requested user_ids and every device seen logged in as one).
    Every base model filters its typed rows through this before anything can store them. -#}
{% macro without_erased(cte_name, identity_columns) -%}
    select {{ cte_name }}.*
    from {{ cte_name }}
    {%- for column in identity_columns %}
    left join {{ ref('stg_crm__erased_identities') }} as erased_{{ column }}
        on {{ cte_name }}.{{ column }} = erased_{{ column }}.erased_id
    {%- endfor %}
    where
    {%- for column in identity_columns %}
        erased_{{ column }}.erased_id is null{% if not loop.last %} and{% endif %}
    {%- endfor %}
{%- endmacro %}
