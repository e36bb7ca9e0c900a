{#- One row per segment any rule can yield (empty segments included): members, contactable
    members, share of all persons, and whether it is big enough to act on. -#}
{%- set rules = segment_rule_nodes() %}

with

memberships as (

    select * from {{ ref('segment_memberships') }}

),

profiles as (

    select user_id from {{ ref('user_profiles') }}

),

as_of as (

    select as_of from {{ ref('int_as_of_resolved') }}

),

declared as (

    -- every segment the rules declare, so an empty one shows as 0 members
    {% for rule in rules -%}
        {%- set rule_loop = loop -%}
        {%- for name in segment_names(rule) -%}
            select
                '{{ name }}' as segment,
                '{{ rule.name }}' as rule_model
            {% if not (rule_loop.last and loop.last) %}union all{% endif %}
        {% endfor -%}
    {%- else -%}
        select
            cast(null as string) as segment,
            cast(null as string) as rule_model
        where false
    {%- endfor %}

),

segments as (

    select
        segment,
        rule_model
    from declared
    union
    select distinct
        segment,
        rule_model
    from memberships

),

counted as (

    select
        segment,
        count(*) as count_members,
        sum(case when can_contact then 1 else 0 end) as count_contactable
    from memberships
    group by segment

),

persons as (

    select count(*) as count_persons from profiles

),

final as (

    select
        segments.segment,
        segments.rule_model,
        cast(coalesce(counted.count_members, 0) as bigint) as count_members,
        cast(coalesce(counted.count_contactable, 0) as bigint) as count_contactable,
        cast(persons.count_persons as bigint) as count_persons,
        cast(
            coalesce(counted.count_members, 0) / nullif(persons.count_persons, 0) as double
        ) as share_of_persons,
        coalesce(counted.count_members, 0)
        >= {{ positive_var('segmart_min_segment_members', minimum=0) }} as meets_min_members,
        coalesce(counted.count_members, 0)
        >= {{ share_var('segmart_min_segment_share') }} * persons.count_persons
            as meets_min_share,
        as_of.as_of
    from segments
    cross join persons
    cross join as_of
    left join counted
        on segments.segment = counted.segment

)

select * from final
