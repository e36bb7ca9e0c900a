{% macro rule_performed_regularly(measure, period_days, periods, min_periods, at_least=1,
                                  as_name='active', from_relation=none) -%}
    select
        user_id,
        count(*) as count_{{ as_name }}_periods
    from (
        select
            user_id,
            cast(floor(days_before_as_of / {{ period_days }}) as integer) as period_number,
            sum({{ measure }}) as period_total
        from {{ from_relation or ref('int_user_days_aggregated') }}
        where days_before_as_of < {{ period_days * periods }}
        group by 1, 2
    ) as periods
    where period_total >= {{ at_least }}
    group by user_id
    having count(*) >= {{ min_periods }}
{%- endmacro %}
