{#- One row per check, date and detail: rejected rows by landing table, reason and date; customers
    kept with an unknown time zone or an unusable contact value, events with an e-mail or phone
    that could not be hashed; landed files not read (rejected_files); per date, purchase events
    against the orders the shop received; clustering features that do not vary; customer-value
    models skipped or strained. Flagged rows surface as warnings. -#}
{%- set rejected_models = [
    ('events', 'stg_tracking__events_rejected', 'occurred_at'),
    ('orders', 'stg_shop__order_lines_rejected', 'ordered_at'),
    ('customers', 'stg_crm__customers_rejected', 'signup_at'),
    ('deletion_requests', 'stg_crm__deletion_requests_rejected', 'requested_at'),
    ('campaign_outcomes', 'stg_campaigns__campaign_outcomes_rejected', 'converted_at'),
] %}
{#- the clustering features, as the ml models read them (marts config `clustering`) -#}
{%- set clustering_features = [] %}
{%- for feature in ((config.get('clustering') or {}).get('features') or '').split(',') %}
    {%- if feature.strip() %}{% do clustering_features.append(feature.strip()) %}{% endif %}
{%- endfor %}

with

{% for table_name, model_name, time_column in rejected_models %}
    rejected_{{ table_name }} as (

        select
            '{{ table_name }}' as source_table,
            reject_reason,
            cast({{ time_column }} as date) as observed_date
        from {{ ref(model_name) }}

    ),
{% endfor %}

rejected as (

    {% for table_name, _, _ in rejected_models -%}
        select * from rejected_{{ table_name }}
        {% if not loop.last %}union all{% endif %}
    {% endfor %}

),

purchase_events as (

    select
        cast(occurred_at as date) as observed_date,
        count(*) as count_purchase_events
    -- the staged events are read where they are needed, not through one CTE: DuckDB
    -- materializes a CTE read more than once (here every valid event); rows of erased
    -- persons are gone in staging already
    from {{ ref('stg_tracking__events') }}
    where event_type = 'purchase'
    group by cast(occurred_at as date)

),

completed_orders as (

    select
        cast(ordered_at as date) as observed_date,
        count(distinct order_id) as count_completed_orders
    from {{ ref('stg_shop__order_lines') }}
    where is_completed
    group by cast(ordered_at as date)

),

all_orders as (

    -- the tracking fires purchase for every checkout, whatever the shop later does with it
    select
        cast(ordered_at as date) as observed_date,
        count(distinct order_id) as count_orders
    from {{ ref('stg_shop__order_lines') }}
    group by cast(ordered_at as date)

),

rejects_by_day as (

    select
        'rejected_rows' as check_name,
        source_table,
        reject_reason as detail,
        observed_date,
        cast(count(*) as double) as observed,
        cast(null as double) as expected,
        false as is_flagged
    from rejected
    group by source_table, reject_reason, observed_date

),

late_events as (

    -- events that landed more than segmart_late_arrival_days after they happened (only
    -- when the landing zone sends loaded_at)
    select
        'late_events' as check_name,
        'events' as source_table,
        'landed more than {{ positive_var('segmart_late_arrival_days') }} days late'
            as detail,
        cast(occurred_at as date) as observed_date,
        cast(count(*) as double) as observed,
        cast(null as double) as expected,
        false as is_flagged
    from {{ ref('stg_tracking__events') }}
    where loaded_at > {{ dbt.dateadd(
        'day', positive_var('segmart_late_arrival_days'), 'occurred_at'
    ) }}
    group by cast(occurred_at as date)

),

events_awaiting_full_refresh as (

    -- visible events that landed after the incremental lookback had passed their day: the
    -- event tables have not taken them in; the next --full-refresh does
    select
        'events_awaiting_full_refresh' as check_name,
        'events' as source_table,
        'older than segmart_lookback_days ({{ positive_var('segmart_lookback_days', 0) }}) '
        || 'when they landed; counted by the next --full-refresh' as detail,
        cast(staged.occurred_at as date) as observed_date,
        cast(count(*) as double) as observed,
        cast(null as double) as expected,
        true as is_flagged
    from {{ ref('stg_tracking__events') }} as staged
    inner join {{ ref('int_as_of_resolved') }} as as_of
        on staged.occurred_at <= as_of.as_of
    left join {{ ref('int_events_stitched') }} as stitched
        on staged.event_id = stitched.event_id
    left join {{ ref('stg_crm__erased_records') }} as deletion_requests
        on staged.user_id = deletion_requests.user_id
    where stitched.event_id is null and deletion_requests.user_id is null
    group by cast(staged.occurred_at as date)

),

rejected_files as (

    -- landed files not read (landing_files_rejected), one row each: observed is how long it
    -- has been rejected, expected the hours after which that is an error (data test)
    select
        'rejected_files' as check_name,
        source_table,
        reject_reason || ': ' || file as detail,
        cast(first_rejected_at as date) as observed_date,
        cast({{ seconds_between('first_rejected_at', build_started_at()) }} / 3600.0 as double)
            as observed,
        cast({{ positive_var('segmart_rejected_file_max_hours', 0) }} as double) as expected,
        true as is_flagged
    from {{ ref('landing_files_rejected') }}

),

unknown_time_zones as (

    -- customers are kept with an unrecognised time zone; their local hours fall back to UTC
    select
        'unknown_time_zones' as check_name,
        'customers' as source_table,
        time_zone_raw as detail,
        cast(coalesce(updated_at, signup_at) as date) as observed_date,
        cast(count(*) as double) as observed,
        cast(null as double) as expected,
        true as is_flagged
    from {{ ref('stg_crm__customers') }}
    where has_unknown_time_zone
    group by time_zone_raw, cast(coalesce(updated_at, signup_at) as date)

),

invalid_contact_values as (

    -- customers kept with a value a destination cannot use (issue 22): an e-mail without
    -- '@', a consent value that is not one, a phone phonenumbers cannot make E.164 (DuckDB
    -- only: a Python model). The export leaves them out where the value is needed. Events
    -- kept with an e-mail or phone that could not be hashed, so links nothing.
    select
        'invalid_contact_values' as check_name,
        flagged.source_table,
        flagged.detail,
        cast(flagged.observed_at as date) as observed_date,
        cast(count(*) as double) as observed,
        cast(null as double) as expected,
        true as is_flagged
    from (
        select
            'customers' as source_table,
            'invalid_email' as detail,
            signup_at as observed_at
        from {{ ref('pii_customers') }}
        where has_invalid_email
        union all
        select
            'customers' as source_table,
            'unknown_consent_value' as detail,
            signup_at as observed_at
        from {{ ref('pii_customers') }}
        where has_unknown_consent_value
        {%- if target.type == 'duckdb' %}
            union all
            select
                'customers' as source_table,
                'invalid_phone' as detail,
                contacts.signup_at as observed_at
            from {{ ref('pii_phone_numbers') }} as phones
            inner join {{ ref('pii_customers') }} as contacts
                on phones.user_id = contacts.user_id
            where phones.has_invalid_phone
        {%- endif %}
        union all
        -- an event with both is counted once for each value
        select
            'events' as source_table,
            details.detail,
            events.occurred_at as observed_at
        from (
            select
                occurred_at,
                has_invalid_email,
                has_invalid_phone
            from {{ ref('stg_tracking__events') }}
            where has_invalid_email or has_invalid_phone
        ) as events
        inner join (values ('invalid_email'), ('invalid_phone')) as details (detail)
            on (details.detail = 'invalid_email' and events.has_invalid_email)
                or (details.detail = 'invalid_phone' and events.has_invalid_phone)
    ) as flagged
    group by flagged.source_table, flagged.detail, cast(flagged.observed_at as date)

),

reconciliation as (

    select
        'purchase_events_vs_orders' as check_name,
        'events' as source_table,
        'purchase events vs orders placed (completed: '
        || cast(coalesce(completed_orders.count_completed_orders, 0) as string) || ')'
            as detail,
        coalesce(purchase_events.observed_date, all_orders.observed_date) as observed_date,
        cast(coalesce(purchase_events.count_purchase_events, 0) as double) as observed,
        cast(coalesce(all_orders.count_orders, 0) as double) as expected,
        abs(
            coalesce(purchase_events.count_purchase_events, 0)
            - coalesce(all_orders.count_orders, 0)
        ) > {{ var('segmart_reconciliation_tolerance') }}
        * greatest(coalesce(all_orders.count_orders, 0), 1) as is_flagged
    from purchase_events
    full outer join all_orders
        on purchase_events.observed_date = all_orders.observed_date
    left join completed_orders
        on coalesce(purchase_events.observed_date, all_orders.observed_date)
            = completed_orders.observed_date

),

clustering_feature_ranges as (

    -- one pass over the eligible persons: a feature whose min equals its max is constant
    select
        max(as_of) as as_of,
        {%- for feature in clustering_features %}
            min(coalesce(cast({{ feature }} as double), 0)) as min_{{ loop.index }},
            max(coalesce(cast({{ feature }} as double), 0)) as max_{{ loop.index }},
        {%- endfor %}
        count(*) as count_eligible
    from {{ ref('user_features') }}
    where {{ config.get('clustering_eligibility') }}

),

clustering_features_dropped as (

    -- the clustering leaves such a feature out and goes on with the rest (clustering_quality
    -- says the same in its warning column)
    {%- for feature in clustering_features %}
        select
            'clustering_features_dropped' as check_name,
            'user_features' as source_table,
            '{{ feature }}: constant over the eligible persons, left out of the clustering'
                as detail,
            cast(as_of as date) as observed_date,
            cast(count_eligible as double) as observed,
            cast(null as double) as expected,
            true as is_flagged
        from clustering_feature_ranges
        where count_eligible > 0 and min_{{ loop.index }} = max_{{ loop.index }}
        {% if not loop.last %}union all{% endif %}
    {%- endfor %}

),

clv_frequency_spend_correlation as (

    -- Gamma-Gamma assumes a repeat buyer's spend per order day does not depend on how often
    -- they order: the Pearson correlation over the persons it is fitted on
    select
        'clv_frequency_spend_correlation' as check_name,
        'user_features' as source_table,
        'Pearson correlation of btyd_frequency and btyd_monetary_value over '
        || cast(count(*) as string) || ' repeat buyers; Gamma-Gamma assumes none' as detail,
        cast(max(as_of) as date) as observed_date,
        corr(cast(btyd_frequency as double), btyd_monetary_value) as observed,
        cast({{ share_var('segmart_clv_max_frequency_spend_correlation') }} as double)
            as expected,
        coalesce(
            abs(corr(cast(btyd_frequency as double), btyd_monetary_value))
            > {{ share_var('segmart_clv_max_frequency_spend_correlation') }},
            false
        ) as is_flagged
    from {{ ref('user_features') }}
    where btyd_frequency > 0 and btyd_monetary_value > 0
    having count(*) >= 3

),

{%- if target.type == 'duckdb' %}

    clv_model_warnings as (

        -- a skipped model leaves the customer_value columns it feeds null; a fitted one with
        -- a reason sits at the edge of its parameter space (a Python model, DuckDB only)
        select
            'clv_model_warning' as check_name,
            'user_features' as source_table,
            model || ' ' || status || ': ' || reason as detail,
            cast(as_of as date) as observed_date,
            cast(count_persons as double) as observed,
            cast(null as double) as expected,
            true as is_flagged
        from {{ ref('clv_model_fit') }}
        where reason is not null

    ),
{%- endif %}

final as (

    select * from rejects_by_day
    union all
    select * from late_events
    union all
    select * from unknown_time_zones
    union all
    select * from rejected_files
    union all
    select * from events_awaiting_full_refresh
    union all
    select * from invalid_contact_values
    union all
    select * from reconciliation
    union all
    select * from clustering_features_dropped
    union all
    select * from clv_frequency_spend_correlation
    {%- if target.type == 'duckdb' %}
        union all
        select * from clv_model_warnings
    {%- endif %}

)

select * from final
