-- feature_snapshots takes a snapshot's day buckets from as_of's day table, shifted. Here each
-- snapshot is computed again with the day table rebuilt from the hours and events cut at its
-- time; a returned row names a snapshot row found in one and not the other. It costs two
-- regroups of the history, so it runs with segmart_test_scope 'full' only (make test);
-- DuckDB only, like the model.
{{ config(enabled=target.type == 'duckdb') }}
{%- set horizon = positive_var('segmart_propensity_horizon_days') %}
{%- set full_scope = var('segmart_test_scope') | string | trim | lower == 'full' %}

with

stored as (

    select * exclude (count_orders_after, count_activity_after, horizon_days)
    from {{ ref('feature_snapshots') }}

),

snapshot_1 as (

    {{ feature_snapshot(horizon, recompute_days=true) | indent(4) }}

),

snapshot_2 as (

    {{ feature_snapshot(2 * horizon, recompute_days=true) | indent(4) }}

),

recomputed as (

    select
        1 as snapshot_number,
        *
    from snapshot_1
    where last_activity_at is not null
    union all
    select
        2 as snapshot_number,
        *
    from snapshot_2
    where last_activity_at is not null

),

stored_only as (

    select * from stored
    except all
    select * from recomputed

),

recomputed_only as (

    select * from recomputed
    except all
    select * from stored

),

final as (

    select
        'stored only' as found_in,
        snapshot_number,
        user_id
    from stored_only
    union all
    select
        'recomputed only' as found_in,
        snapshot_number,
        user_id
    from recomputed_only

)

-- in load scope nothing is checked: DuckDB plans a false filter as an empty result
select * from final
where {{ 'true' if full_scope else 'false' }}
