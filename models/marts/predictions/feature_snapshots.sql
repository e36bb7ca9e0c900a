{#- user_features as it was at as_of - H (snapshot 1) and as_of - 2H (snapshot 2), H =
    segmart_propensity_horizon_days, for the persons with some activity by then, with what
    each did in the H days after: the propensity models' training and validation rows. Each
    snapshot is user_features' own query at that time (macro feature_snapshot). -#}
{#- DuckDB under-estimates the snapshots and would hash them, the wide side, in the outcomes
    join (out of memory at 100 M events): the hooks keep the written build side, globally while
    this model builds (docs/performance.md, "A join's build side"). -#}
{{ config(
    pre_hook=["set disabled_optimizers = 'build_side_probe_side'"],
    post_hook=["reset disabled_optimizers"],
) }}
{%- set horizon = positive_var('segmart_propensity_horizon_days') %}

with

snapshot_1 as (

    {{ feature_snapshot(horizon) | indent(4) }}

),

snapshot_2 as (

    {{ feature_snapshot(2 * horizon) | indent(4) }}

),

snapshots as (

    select
        1 as snapshot_number,
        *
    from snapshot_1
    union all
    select
        2 as snapshot_number,
        *
    from snapshot_2

),

user_days as (

    select * from {{ ref('int_user_days_aggregated') }}

),

-- the day buckets (k - 1) H <= d < k H of the day table at as_of are exactly the H days
-- after snapshot k, (as_of - k H, as_of - (k - 1) H]
outcomes as (

    select
        user_days.user_id,
        snapshot_numbers.snapshot_number,
        sum(user_days.count_orders) as count_orders_after,
        sum(user_days.count_events + user_days.count_orders) as count_activity_after
    from user_days
    inner join (values (1), (2)) as snapshot_numbers (snapshot_number)
        on user_days.days_before_as_of >= (snapshot_numbers.snapshot_number - 1) * {{ horizon }}
            and user_days.days_before_as_of < snapshot_numbers.snapshot_number * {{ horizon }}
    group by 1, 2

),

final as (

    -- persons with some activity by the snapshot time: the ones a model could have scored
    select
        snapshots.*,
        cast(coalesce(outcomes.count_orders_after, 0) as bigint) as count_orders_after,
        cast(coalesce(outcomes.count_activity_after, 0) as bigint) as count_activity_after,
        {{ horizon }} as horizon_days
    from snapshots
    left join outcomes
        on snapshots.user_id = outcomes.user_id
            and snapshots.snapshot_number = outcomes.snapshot_number
    where snapshots.last_activity_at is not null

)

select * from final
