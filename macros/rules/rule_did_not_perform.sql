{#-
    Persons with some activity at or before as_of whose `measure` is zero in the last
    `within_days` days. Selects user_id and the latest day (days_before_as_of) the measure
    was non-zero, as `last_<as_name>_days_ago`.

        {{ rule_did_not_perform('count_events + count_orders', within_days=30,
                                as_name='activity') }}
-#}
{% macro rule_did_not_perform(measure, within_days, as_name='measure', from_relation=none) -%}
    select
        user_id,
        min(case when {{ measure }} > 0 then days_before_as_of end) as last_{{ as_name }}_days_ago
    from {{ from_relation or ref('int_user_days_aggregated') }}
    group by user_id
    having sum(case when days_before_as_of < {{ within_days }} then {{ measure }} else 0 end) = 0
{%- endmacro %}
