with

rejected as (

    select * from {{ ref('base_tracking__events') }}
    where reject_reason is not null

),

final as (

    select
        reject_reason,
        event_id,
        event_type,
        occurred_at_raw,
        occurred_at,
        anonymous_id,
        user_id,
        product_id,
        price_raw,
        quantity_raw,
        source_file
    from rejected

)

select * from final
