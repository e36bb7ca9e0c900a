with

rejected as (

    select * from {{ ref('base_crm__customers') }}
    where reject_reason is not null

),

final as (

    select
        reject_reason,
        user_id,
        signup_at,
        time_zone_raw,
        source_file
    from rejected

)

select * from final
