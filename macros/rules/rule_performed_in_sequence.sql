{% macro rule_performed_in_sequence(first_event, then_event, within_minutes, within_days,
                                    from_relation=none) -%}
    {%- set events = from_relation or ref('int_events_sessionized') -%}
    select
        firsts.user_id,
        count(distinct firsts.occurred_at) as count_sequences,
        max(thens.occurred_at) as last_sequence_at
    from (
        select user_id, occurred_at
        from {{ events }}
        where event_type = '{{ first_event }}' and days_before_as_of < {{ within_days }}
    ) as firsts
    inner join (
        select user_id, occurred_at
        from {{ events }}
        where event_type = '{{ then_event }}' and days_before_as_of < {{ within_days }}
    ) as thens
        on firsts.user_id = thens.user_id
        and thens.occurred_at > firsts.occurred_at
        and thens.occurred_at <= {{ dbt.dateadd('minute', within_minutes, 'firsts.occurred_at') }}
    group by firsts.user_id
{%- endmacro %}
