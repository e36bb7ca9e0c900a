{% test segment_rule(model) %}
{%- set nodes = graph.nodes.values() | selectattr('resource_type', 'equalto', 'model')
    | selectattr('name', 'equalto', model.identifier) | list if execute else [] -%}
{%- set names = segment_names(nodes[0]) if nodes
    else [model.identifier[4:] if model.identifier.startswith('seg_') else model.identifier] -%}

with

rule_rows as (

    select
        cast(user_id as string) as user_id,
        cast(segment as string) as segment,
        as_of
    from {{ model }}

),

failures as (

    select
        'user_id is null' as failure,
        user_id,
        segment
    from rule_rows
    where user_id is null

    union all

    select
        'user_id is not unique' as failure,
        user_id,
        min(segment) as segment
    from rule_rows
    where user_id is not null
    group by user_id
    having count(*) > 1

    union all

    select
        'segment is not one the rule declares' as failure,
        user_id,
        segment
    from rule_rows
    where segment is null
        or segment not in ({% for name in names %}'{{ name }}'{% if not loop.last %}, {% endif %}{% endfor %})

    union all

    select
        'as_of is null' as failure,
        user_id,
        segment
    from rule_rows
    where as_of is null

)

select * from failures

{% endtest %}
