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
