{% macro rule_performed(measure, within_days, at_least=none, at_most=none, as_name=none,
                        from_relation=none) -%}
    {%- if at_least is none and at_most is none -%}
        {{ exceptions.raise_compiler_error("rule_performed: give at_least or at_most") }}
    {%- endif -%}
    {%- set name = as_name or (measure ~ '_' ~ within_days ~ 'd') -%}
    {%- set total -%}
        sum(case when days_before_as_of < {{ within_days }} then {{ measure }} else 0 end)
    {%- endset -%}
    select
        user_id,
        {{ total }} as {{ name }}
    from {{ from_relation or ref('int_user_days_aggregated') }}
    group by user_id
    having
        {% if at_least is not none %}{{ total }} >= {{ at_least }}{% else %}true{% endif %}
        and {% if at_most is not none %}{{ total }} <= {{ at_most }}{% else %}true{% endif %}
{%- endmacro %}
