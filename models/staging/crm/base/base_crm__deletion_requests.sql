{#- Every raw erasure request, typed, with the reason it is rejected (null when valid). -#}
with

source as (

    {{ landing_select(source('crm', 'deletion_requests'), 'deletion_requests',
        ['user_id', 'requested_at'], optional=true) }}

),

typed as (

    select
        {{ clean_identity('source.user_id') }} as user_id,
        {{ landed_timestamp('source.requested_at') }} as requested_at,
        cast(source.filename as string) as source_file
    from source

),

final as (

    select
        *,
        case
            when user_id is null then 'missing_user_id'
        end as reject_reason
    from typed

)

select * from final
