with

events as (

    select * from {{ ref('base_tracking__events') }}
    where reject_reason is null

),

deduplicated as (

    -- at-least-once delivery: keep the copy from the first file (by name), then the earliest
    select
        *,
        row_number() over (
            partition by event_id
            order by source_file, occurred_at, engagement_ms, price, quantity, page_path
        ) as delivery_number
    from events

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
        source_file
    from deduplicated
    where delivery_number = 1

)

select * from final
