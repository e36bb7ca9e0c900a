{#-
    Persons whose `measure` (a column or expression of the daily table) adds up to at least
    `at_least` and/or at most `at_most` in the last `within_days` days. Selects user_id and
    the windowed total as `as_name`. Reads int_user_days_aggregated unless `from_relation`
    is given (tests pass a CTE).

        {{ rule_performed('count_sessions_started', within_days=7, at_least=5) }}
-#}
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
