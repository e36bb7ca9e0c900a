{#- One row per (segment, person): the union of every model tagged `segment`, from the dbt
    graph. The refs dbt needs at parse time are the lines below, written by
    `python -m segmart.segments` from the seg_*.sql files (docs/decisions/0002). -#}
{#- rules: written by `python -m segmart.segments`, one per seg_*.sql; do not edit -#}
-- depends_on: {{ ref('seg_cart_abandoners') }}
-- depends_on: {{ ref('seg_churn_risk') }}
-- depends_on: {{ ref('seg_dormant_users') }}
-- depends_on: {{ ref('seg_frequent_morning_buyers') }}
-- depends_on: {{ ref('seg_high_intent') }}
{% if target.type == 'duckdb' %}-- depends_on: {{ ref('seg_high_value_at_risk') }}{% endif %}
-- depends_on: {{ ref('seg_high_value_cart_abandoners') }}
-- depends_on: {{ ref('seg_highly_active_users') }}
-- depends_on: {{ ref('seg_infrequent_evening_browsers') }}
{% if target.type == 'duckdb' %}-- depends_on: {{ ref('seg_likely_buyers') }}{% endif %}
{% if target.type == 'duckdb' %}-- depends_on: {{ ref('seg_likely_churners') }}{% endif %}
{% if target.type == 'duckdb' %}-- depends_on: {{ ref('seg_lookalike_rfm_champions') }}{% endif %}
-- depends_on: {{ ref('seg_new_users') }}
-- depends_on: {{ ref('seg_repeat_product_viewers') }}
-- depends_on: {{ ref('seg_rfm') }}
{#- end of rules -#}
{%- set rules = segment_rule_nodes() %}
{{ check_segment_rules_listed(rules) }}

with

rules as (

    {% for rule in rules -%}
        select
            cast(user_id as string) as user_id,
            cast(segment as string) as segment,
            cast(as_of as timestamp) as as_of,
            '{{ rule.name }}' as rule_model,
            {{ evidence_json(ref(rule.name)) }} as evidence
        from {{ ref(rule.name) }}
        {% if not loop.last %}union all{% endif %}
    {% else -%}
        select
            cast(null as string) as user_id,
            cast(null as string) as segment,
            cast(null as timestamp) as as_of,
            cast(null as string) as rule_model,
            cast(null as string) as evidence
        where false
    {%- endfor %}

),

profiles as (

    select
        user_id,
        has_marketing_consent
    from {{ ref('user_profiles') }}

),

final as (

    select
        rules.segment,
        rules.user_id,
        rules.as_of,
        rules.rule_model,
        rules.evidence,
        coalesce(profiles.has_marketing_consent, false) as can_contact
    from rules
    left join profiles
        on rules.user_id = profiles.user_id

)

select * from final
