with

rejected as (

    select * from {{ ref('base_campaigns__campaign_outcomes') }}
    where reject_reason is not null

),

final as (

    select
        reject_reason,
        user_id,
        segment,
        converted_at,
        source_file
    from rejected

)

select * from final
