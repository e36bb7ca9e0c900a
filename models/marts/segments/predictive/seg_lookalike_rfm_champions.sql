{{ config(tags=['segment']) }}
{#- Non-members of rfm_champions most like its members (lookalike_scores): the top
    segmart_lookalike_top_percent. Another seed: copy this file with its seed's name. -#}
{%- set seed = 'rfm_champions' %}
with

scores as (

    select * from {{ ref('lookalike_scores') }}
    where seed_segment = '{{ seed }}'

),

final as (

    select
        user_id,
        'lookalike_{{ seed }}' as segment,
        as_of,
        similarity,
        similarity_percentile
    from scores
    where similarity_percentile > 100 - {{ var('segmart_lookalike_top_percent') }}

)

select * from final
