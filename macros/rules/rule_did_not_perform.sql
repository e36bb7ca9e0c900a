{% macro rule_did_not_perform(measure, within_days, as_name='measure', from_relation=none) -%}
    select
        user_id,
        min(case when {{ measure }} > 0 then days_before_as_of end) as last_{{ as_name }}_days_ago
    from {{ from_relation or ref('int_user_days_aggregated') }}
    group by user_id
    having sum(case when days_before_as_of < {{ within_days }} then {{ measure }} else 0 end) = 0
{%- endmacro %}
