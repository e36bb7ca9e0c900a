{#- The members of each lookalike seed segment (var segmart_lookalike_seeds: segment -> the
    rule model that yields it), read from the rule itself: segment_memberships also holds
    the lookalike rules, which read lookalike_scores. -#}
{%- set seeds = var('segmart_lookalike_seeds') %}

with

{% for segment, rule in seeds.items() %}
seed_{{ loop.index }} as (

    select
        user_id,
        '{{ segment }}' as seed_segment
    from {{ ref(rule) }}
    where segment = '{{ segment }}'

),

{% endfor %}
final as (

    {%- for segment in seeds %}
    select
        user_id,
        seed_segment
    from seed_{{ loop.index }}
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}

)

select * from final
