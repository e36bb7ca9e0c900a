with

requests as (

    select * from {{ ref('base_crm__deletion_requests') }}
    where reject_reason is null

),

final as (

    -- a request is honoured whenever it was made: repeated requests collapse to the first
    select
        user_id,
        min(requested_at) as requested_at,
        count(*) as count_requests
    from requests
    group by user_id

)

select * from final
