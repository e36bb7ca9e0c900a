{#- One row per landing table: raw = staged + duplicate + rejected + erased rows.
    Raw rows are counted straight from the files, the other three from the models, so a row
    lost anywhere in staging breaks the equation (tested by assert_row_counts_reconcile). -#}
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

final as (

    select
        source_table,
        cast(raw_rows as bigint) as raw_rows,
        cast(staged_rows as bigint) as staged_rows,
        cast(duplicate_rows as bigint) as duplicate_rows,
        cast(rejected_rows as bigint) as rejected_rows,
        cast(erased_rows as bigint) as erased_rows,
        raw_rows = staged_rows + duplicate_rows + rejected_rows + erased_rows as reconciles
    from unioned

)

select * from final
