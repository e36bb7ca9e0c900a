{% macro rule_first_performed_within(measure, within_days, as_name='measure',
                                     from_relation=none) -%}
    select
        user_id,
        max(case when {{ measure }} > 0 then days_before_as_of end)
            as first_{{ as_name }}_days_ago
    from {{ from_relation or ref('int_user_days_aggregated') }}
    group by user_id
    having max(case when {{ measure }} > 0 then days_before_as_of end) < {{ within_days }}
{%- endmacro %}
