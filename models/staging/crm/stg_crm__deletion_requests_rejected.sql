with

rejected as (

    select * from {{ ref('base_crm__deletion_requests') }}
    where reject_reason is not null

),

final as (

    select
        reject_reason,
        user_id,
        requested_at,
        source_file
    from rejected

)

select * from final
