{% macro union_all_of(cte_names) -%}
    {%- for name in cte_names %}
        select * from {{ name }}
        {%- if not loop.last %}
            union all
        {%- endif %}
    {%- endfor %}
{%- endmacro %}
