{% macro rule_restarted(measure, recent_days, silent_days, at_least=1, as_name='measure',
                        from_relation=none) -%}
    {%- set recent_total -%}
        sum(case when days_before_as_of < {{ recent_days }} then {{ measure }} else 0 end)
    {%- endset -%}
    select
        user_id,
        {{ recent_total }} as {{ as_name }}_recent
    from {{ from_relation or ref('int_user_days_aggregated') }}
    group by user_id
    having {{ recent_total }} >= {{ at_least }}
        and sum(case
            when days_before_as_of >= {{ recent_days }}
                and days_before_as_of < {{ recent_days + silent_days }}
                then {{ measure }}
            else 0
        end) = 0
        and sum(case
            when days_before_as_of >= {{ recent_days + silent_days }} then {{ measure }}
            else 0
        end) > 0
{%- endmacro %}
