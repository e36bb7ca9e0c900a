{#- One row per landing table: raw = staged + duplicate + rejected + erased rows.
    Raw and erased rows are the sums of data_quality_file_row_counts (counted in the files),
    the other three are counted in the models, so a row lost anywhere in staging breaks the
    equation (tested by assert_row_counts_reconcile). Rows of files rejected whole are not
    read, so not yet counted (count_rejected_files). -#}
with

events as (

    {{ landing_row_counts(
        'events', 'event_id', ref('stg_tracking__events'),
        ref('stg_tracking__events_rejected'), ref('base_tracking__events'),
    ) }}

),

orders as (

    {{ landing_row_counts(
        'orders', "order_id || '-' || cast(line_number as string)",
        ref('stg_shop__order_lines'), ref('stg_shop__order_lines_rejected'),
        ref('base_shop__order_lines'),
    ) }}

),

customers as (

    {{ landing_row_counts(
        'customers', 'user_id', ref('stg_crm__customers'), ref('stg_crm__customers_rejected'),
        ref('base_crm__customers'),
    ) }}

),

deletion_requests as (

    {{ landing_row_counts(
        'deletion_requests', 'user_id', ref('stg_crm__deletion_requests'),
        ref('stg_crm__deletion_requests_rejected'), ref('base_crm__deletion_requests'),
    ) }}

),

campaign_outcomes as (

    {{ landing_row_counts(
        'campaign_outcomes', "segment || '|' || user_id",
        ref('stg_campaigns__campaign_outcomes'),
        ref('stg_campaigns__campaign_outcomes_rejected'),
        ref('base_campaigns__campaign_outcomes'),
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
