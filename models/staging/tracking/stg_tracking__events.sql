{#- One row per valid event_id: at-least-once delivery de-duplicated, keeping the copy from
    the first file by name, then the earliest. Stored and incremental on event_id: a build
    chooses again among all valid copies of the ids staged since its newest row; staged_at is
    the build that chose a copy. docs/incremental.md -#}
{{ config(
    on_schema_change='fail',
    post_hook=[
        "{{ incremental_delete(erased_rows_condition(this, ref('base_tracking__events'))) }}",
        "{{ clear_erased_contacts(this, 'email') if is_incremental() else 'select 1' }}",
        "{{ clear_erased_contacts(this, 'phone') if is_incremental() else 'select 1' }}",
    ],
    **file_batch_table_config('event_id')
) }}
-- depends_on: {{ ref('stg_crm__erased_records') }}
-- depends_on: {{ ref('country_calling_codes') }}

{#- the valid base rows to choose among. A full build inlines them where they are read
    rather than sharing one CTE, which DuckDB would materialize (every column of every
    event); an incremental build shares the few rows of its batch, so that the stored
    events are scanned and joined to the batch once, not three times #}
{%- set candidates -%}
    {%- if is_incremental() %}
    select * from batch_candidates
    {%- else %}
    select base.*
    from {{ ref('base_tracking__events') }} as base
    where base.reject_reason is null
    {%- endif %}
{%- endset %}

with

{% if is_incremental() %}
batch_ids as (

    select event_id
    from {{ ref('base_tracking__events') }}
    where reject_reason is null and staged_at > {{ newest_stored('staged_at') }}
    union
    select event_id
    from {{ this }}
    where {{ erased_rows_condition(this, ref('base_tracking__events')) }}

),

batch_candidates as materialized (

    select base.*
    from {{ ref('base_tracking__events') }} as base
    inner join batch_ids
        on base.event_id = batch_ids.event_id
    where base.reject_reason is null

),

{% endif %}
redelivered as (

    -- ids with more than one valid copy: the only ones that need choosing (about 1 % of
    -- ids; sorting every event to number its copies cost more than writing the table)
    select event_id
    from (
        {{ candidates }}
    ) as candidates
    group by event_id
    having count(*) > 1

),

delivered_once as (

    select
        candidates.*,
        1 as delivery_number
    from (
        {{ candidates }}
    ) as candidates
    left join redelivered
        on candidates.event_id = redelivered.event_id
    where redelivered.event_id is null

),

first_deliveries as (

    -- at-least-once delivery: keep the copy from the first file (by name), then the earliest
    select
        candidates.*,
        row_number() over (
            partition by candidates.event_id
            order by
                candidates.source_file,
                candidates.occurred_at,
                candidates.engagement_ms,
                candidates.price,
                candidates.quantity,
                candidates.page_path
        ) as delivery_number
    from (
        {{ candidates }}
    ) as candidates
    inner join redelivered
        on candidates.event_id = redelivered.event_id

),

deduplicated as (

    select * from first_deliveries
    where delivery_number = 1
    union all
    select * from delivered_once

),

final as (

    select
        event_id,
        event_type,
        occurred_at,
        anonymous_id,
        user_id,
        page_path,
        product_id,
        category,
        price,
        coalesce(quantity, 1) as quantity,
        device_type,
        channel,
        country,
        engagement_ms,
        loaded_at,
        email_sha256,
        phone_sha256,
        has_invalid_email,
        has_invalid_phone,
        source_file,
        -- the build that chose this copy, not the one that read its file: a copy chosen
        -- again (its file sorts first, or the chosen copy's person was erased) counts as
        -- staged now, so int_events_stitched takes it in even when its file is old
        {{ build_started_at() }} as staged_at
    from deduplicated

)

select * from final
