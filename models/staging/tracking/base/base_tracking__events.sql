{#-
    Every raw event row, typed, with the reason it is rejected (null when it is valid).
    stg_tracking__events and stg_tracking__events_rejected both read this model, so the
    rules for "valid" live in one place.

    The one model that reads the event files, stored so that nothing downstream parses them
    again. Incremental by landed file (file_batch_table_config; a full table on Spark): a
    build reads the files it has not stored yet, and again the files of rows it rejected as
    occurred_in_future once their time has come. Rows of erased persons are never
    stored: new files are filtered on the way in, stored rows are deleted by the post-hook
    when a deletion request lands. So are an erased record's e-mail and phone on another
    person's event: cleared on the way in and by the post-hook (erased_contacts).
-#}
{{ config(
    on_schema_change='fail',
    post_hook=[
        "{{ delete_rows(this, erased_rows_condition(this, base=this))
            if is_incremental() else 'select 1' }}",
        "{{ clear_erased_contacts(this, 'email') if is_incremental() else 'select 1' }}",
        "{{ clear_erased_contacts(this, 'phone') if is_incremental() else 'select 1' }}",
    ],
    **file_batch_table_config('source_file')
) }}
-- depends_on: {{ ref('stg_crm__erased_records') }}
{%- set future_after = dbt.dateadd(
    'hour', var('segmart_future_tolerance_hours'), build_started_at()
) %}
{%- set batch_files = none %}
{%- if is_incremental() %}
    {#- a file is read again only once one of its future rows is due: a row dated 2125
        would otherwise bring its whole file, and everything staged from it, back each build #}
    {%- set batch_files = landing_batch_files('events', this,
        "reject_reason = 'occurred_in_future' and occurred_at <= " ~ future_after) %}
{%- endif %}

with

source as (

    {{ landing_select(source('tracking', 'events'), 'events', [
        'event_id', 'event_type', 'occurred_at', 'anonymous_id', 'user_id', 'page_path',
        'product_id', 'category', 'price', 'quantity', 'device_type', 'channel', 'country',
        'engagement_ms', 'loaded_at', 'email', 'phone',
    ], files=batch_files) }}

),

erased_contacts as (

    {{ erased_contacts() }}

),

event_types as (

    select event_type from {{ ref('event_taxonomy') }}

),

typed as (

    select
        nullif(trim(cast(source.event_id as string)), '') as event_id,
        lower(trim(cast(source.event_type as string))) as event_type,
        -- the landed values as they came (text only for rejected rows, in final)
        source.occurred_at as occurred_at_landed,
        {{ landed_timestamp('source.occurred_at') }} as occurred_at,
        {{ clean_identity('source.anonymous_id') }} as anonymous_id,
        {{ clean_identity('source.user_id') }} as user_id,
        cast(source.page_path as string) as page_path,
        nullif(trim(cast(source.product_id as string)), '') as product_id,
        nullif(trim(cast(source.category as string)), '') as category,
        source.price as price_landed,
        {{ dbt.safe_cast('source.price', 'double') }} as price,
        source.quantity as quantity_landed,
        {{ dbt.safe_cast('source.quantity', 'integer') }} as quantity,
        lower(trim(cast(source.device_type as string))) as device_type,
        lower(trim(cast(source.channel as string))) as channel,
        upper(trim(cast(source.country as string))) as country,
        {{ dbt.safe_cast('source.engagement_ms', 'bigint') }} as engagement_ms,
        {{ landed_timestamp('source.loaded_at') }} as loaded_at,
        -- an e-mail or phone on the event (a newsletter click, a checkout) only as a hash
        {{ email_hash('source.email') }} as email_sha256,
        {{ phone_hash('source.phone') }} as phone_sha256,
        -- one that was sent but cannot be used is flagged, so data_quality can count it
        {{ is_unusable_contact('source.email', is_usable_email('source.email')) }}
            as has_invalid_email,
        {{ is_unusable_contact('source.phone', is_usable_event_phone('source.phone')) }}
            as has_invalid_phone,
        cast(source.filename as string) as source_file
    from source

),

kept as (

    -- rows of erased persons are dropped here, before anything can store them;
    -- data_quality_row_counts counts them as erased
    {{ without_erased('typed', ['user_id', 'anonymous_id']) }}

),

classified as (

    select
        kept.*,
        case
            when kept.event_id is null then 'missing_event_id'
            when kept.anonymous_id is null and kept.user_id is null then 'missing_identity'
            when event_types.event_type is null then 'unknown_event_type'
            when kept.occurred_at_landed is null then 'missing_occurred_at'
            -- tested only where the time did not parse (CASE and AND skip the other rows)
            when kept.occurred_at is null
                and {{ landed_epoch_out_of_range('kept.occurred_at_landed') }}
                then 'out_of_range_occurred_at'
            when kept.occurred_at is null then 'unparseable_occurred_at'
            when kept.occurred_at > {{ future_after }} then 'occurred_in_future'
            when kept.price_landed is not null and kept.price is null then 'unparseable_price'
            when kept.price < 0 then 'negative_price'
            when kept.quantity_landed is not null and kept.quantity is null
                then 'unparseable_quantity'
            when kept.quantity <= 0 then 'invalid_quantity'
        end as reject_reason,
        {{ build_started_at() }} as staged_at
    from kept
    left join event_types
        on kept.event_type = event_types.event_type

),

final as (

    -- the raw text of occurred_at, price and quantity is kept for rejected rows, which are
    -- read to diagnose them; on valid rows it would be 10 M strings nothing reads
    select
        classified.event_id,
        classified.event_type,
        case
            when classified.reject_reason is not null
                then cast(classified.occurred_at_landed as string)
        end as occurred_at_raw,
        classified.occurred_at,
        classified.anonymous_id,
        classified.user_id,
        classified.page_path,
        classified.product_id,
        classified.category,
        case
            when classified.reject_reason is not null then cast(classified.price_landed as string)
        end as price_raw,
        classified.price,
        case
            when classified.reject_reason is not null
                then cast(classified.quantity_landed as string)
        end as quantity_raw,
        classified.quantity,
        classified.device_type,
        classified.channel,
        classified.country,
        classified.engagement_ms,
        classified.loaded_at,
        -- an erased record's e-mail or phone names the erased person, whoever's event it is on
        case when erased_emails.identifier_value is null then classified.email_sha256 end
            as email_sha256,
        case when erased_phones.identifier_value is null then classified.phone_sha256 end
            as phone_sha256,
        classified.has_invalid_email,
        classified.has_invalid_phone,
        classified.source_file,
        classified.reject_reason,
        classified.staged_at
    from classified
    left join erased_contacts as erased_emails
        on
            erased_emails.identifier_type = 'email'
            and classified.email_sha256 = erased_emails.identifier_value
    left join erased_contacts as erased_phones
        on
            erased_phones.identifier_type = 'phone'
            and classified.phone_sha256 = erased_phones.identifier_value

)

select * from final
