with

rejected as (

    select * from {{ ref('base_shop__order_lines') }}
    where reject_reason is not null

),

final as (

    select
        reject_reason,
        order_id,
        line_number_raw,
        user_id,
        ordered_at_raw,
        ordered_at,
        product_id,
        quantity_raw,
        unit_price_raw,
        status,
        source_file
    from rejected

)

select * from final
