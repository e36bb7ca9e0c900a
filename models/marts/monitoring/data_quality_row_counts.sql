{#- One row per landing table: raw = staged + duplicate + rejected + erased rows.
    Raw rows are counted straight from the files, the other three from the models, so a row
    lost anywhere in staging breaks the equation (tested by assert_row_counts_reconcile).
    Rows of files rejected whole are not read, so not yet counted (count_rejected_files). -#}
with

events as (

    {{ landing_row_counts(
        'events', source('tracking', 'events'), 'event_id',
        ref('base_tracking__events'), ref('stg_tracking__events'),
        ref('stg_tracking__events_rejected'), columns=['event_id'],
        identity_columns=['user_id', 'anonymous_id'],
    ) }}

),

orders as (

    {{ landing_row_counts(
        'orders', source('shop', 'orders'),
        "order_id || '-' || cast(line_number as string)",
        ref('base_shop__order_lines'), ref('stg_shop__order_lines'),
        ref('stg_shop__order_lines_rejected'), columns=['order_id'],
        identity_columns=['user_id'],
    ) }}

),

customers as (

    {{ landing_row_counts(
        'customers', source('crm', 'customers'), 'user_id',
        ref('base_crm__customers'), ref('stg_crm__customers'),
        ref('stg_crm__customers_rejected'), columns=['user_id'],
        identity_columns=['user_id'],
    ) }}

),

deletion_requests as (

    {{ landing_row_counts(
        'deletion_requests', source('crm', 'deletion_requests'), 'user_id',
        ref('base_crm__deletion_requests'), ref('stg_crm__deletion_requests'),
        ref('stg_crm__deletion_requests_rejected'), columns=['user_id'], optional=true,
    ) }}

),

campaign_outcomes as (

    {{ landing_row_counts(
        'campaign_outcomes', source('campaigns', 'campaign_outcomes'),
        "segment || '|' || user_id",
        ref('base_campaigns__campaign_outcomes'), ref('stg_campaigns__campaign_outcomes'),
        ref('stg_campaigns__campaign_outcomes_rejected'), columns=['user_id'],
        identity_columns=['user_id'], optional=true,
    ) }}

),

unioned as (

    select * from events
    union all
    select * from orders
    union all
    select * from customers
    union all
    select * from deletion_requests
    union all
    select * from campaign_outcomes

),

rejected_files as (

    select
        source_table,
        count(*) as count_rejected_files
    from {{ ref('landing_files_rejected') }}
    group by source_table

),

final as (

    select
        unioned.source_table,
        cast(unioned.raw_rows as bigint) as raw_rows,
        cast(unioned.staged_rows as bigint) as staged_rows,
        cast(unioned.duplicate_rows as bigint) as duplicate_rows,
        cast(unioned.rejected_rows as bigint) as rejected_rows,
        cast(unioned.erased_rows as bigint) as erased_rows,
        unioned.raw_rows = unioned.staged_rows + unioned.duplicate_rows + unioned.rejected_rows
        + unioned.erased_rows as reconciles,
        -- rows of files rejected whole are not read, so not yet counted in raw_rows
        cast(coalesce(rejected_files.count_rejected_files, 0) as bigint)
            as count_rejected_files
    from unioned
    left join rejected_files
        on unioned.source_table = rejected_files.source_table

)

select * from final
