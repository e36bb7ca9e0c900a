{% macro rule_stopped(measure, recent_days, earlier_days, at_least=1, as_name='measure',
                      from_relation=none) -%}
    {%- set earlier_total -%}
        sum(case
            when days_before_as_of >= {{ recent_days }}
                and days_before_as_of < {{ recent_days + earlier_days }}
                then {{ measure }}
            else 0
        end)
    {%- endset -%}
    select
        user_id,
        {{ earlier_total }} as {{ as_name }}_before
    from {{ from_relation or ref('int_user_days_aggregated') }}
    group by user_id
    having {{ earlier_total }} >= {{ at_least }}
        and sum(case when days_before_as_of < {{ recent_days }} then {{ measure }} else 0 end) = 0
{%- endmacro %}
