{#-
    Persons who do something regularly: of the last `periods` periods of `period_days` days
    (period 0 ends at as_of), at least `min_periods` have `measure` adding up to at least
    `at_least`. Selects user_id and the number of such periods as `count_<as_name>_periods`.

        {{ rule_performed_regularly('count_orders', period_days=7, periods=4, min_periods=3) }}
-#}
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
