{#- One row per valid event_id: at-least-once delivery de-duplicated, keeping the copy from the
    first file by name, then the earliest.

    Stored (every intermediate model and many tests read it) and incremental on event_id
    (file_batch_table_config; a full table on Spark): a build takes the event_ids of the base
    rows staged since its newest stored row, chooses again among all valid copies of those
    ids (old and new, so a later copy never wins over an earlier file), and replaces them.
    Ids of erased persons are chosen again as well (another person's copy could remain) and
    then deleted by the post-hook when nothing remains. -#}
{{ config(
    on_schema_change='fail',
    post_hook=[
        "{{ delete_rows(this, erased_rows_condition(this)) if is_incremental() else 'select 1' }}",
    ],
    **file_batch_table_config('event_id')
) }}
-- depends_on: {{ ref('stg_crm__deletion_requests') }}

with

events as (

    select * from {{ ref('base_tracking__events') }}
    where reject_reason is null

),

{% if is_incremental() %}
batch_ids as (

    select event_id
    from {{ ref('base_tracking__events') }}
    where reject_reason is null and staged_at > (
        select coalesce(max(staged_at), cast('1900-01-01' as timestamp)) from {{ this }}
    )
    union
    select event_id
    from {{ this }}
    where {{ erased_rows_condition(this) }}

),
{% endif %}

candidates as (

    select events.*
    from events
    {%- if is_incremental() %}
        inner join batch_ids
            on events.event_id = batch_ids.event_id
    {%- endif %}

),

deduplicated as (

    -- at-least-once delivery: keep the copy from the first file (by name), then the earliest
    select
        *,
        row_number() over (
            partition by event_id
            order by source_file, occurred_at, engagement_ms, price, quantity, page_path
        ) as delivery_number
    from candidates

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
        source_file,
        staged_at
    from deduplicated
    where delivery_number = 1

)

select * from final
