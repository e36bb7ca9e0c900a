{#- The members of each lookalike seed segment (var segmart_lookalike_seeds: segment -> the
    rule model that yields it), read from the rule itself: segment_memberships also holds
    the lookalike rules, which read lookalike_scores. -#}
{%- set seeds = var('segmart_lookalike_seeds') %}

with

seeds as (

    {% for segment, rule in seeds.items() -%}
        select
            user_id,
            '{{ segment }}' as seed_segment
        from {{ ref(rule) }}
        where segment = '{{ segment }}'
        {% if not loop.last %}union all{% endif %}
    {% endfor %}

),

final as (

    select
        user_id,
        seed_segment
    from seeds

)

select * from final
