{#- The rows of CTE `cte_name` whose `identity_columns` name no erased person
    (stg_crm__erased_identities: requested user_ids and every device seen logged in as one).
    Every base model filters its typed rows through this before anything can store them. A
    `user_id` column is matched against the requested user_ids only, so a model without a
    device column never pays for finding the devices. -#}
{% macro without_erased(cte_name, identity_columns) -%}
    select {{ cte_name }}.*
    from {{ cte_name }}
    {%- for column in identity_columns %}
    left join {{ ref('stg_crm__erased_identities') }} as erased_{{ column }}
        on {{ cte_name }}.{{ column }} = erased_{{ column }}.erased_id
        {%- if column == 'user_id' %}
            and erased_{{ column }}.erased_kind = 'user'
        {%- endif %}
    {%- endfor %}
    where
    {%- for column in identity_columns %}
        erased_{{ column }}.erased_id is null{% if not loop.last %} and{% endif %}
    {%- endfor %}
{%- endmacro %}
