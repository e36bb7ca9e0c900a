{{ config(materialized='ephemeral') }}
{#-
    Every identity value to erase: the user_ids of valid deletion requests, and every device
    (anonymous_id) ever seen logged in as one of them. Ephemeral on purpose: inlined into
    the base models that filter on it, it never becomes a relation that holds these ids.
-#}
with

requests as (

    select distinct {{ clean_identity('user_id') }} as user_id
    from (
        {{ landing_select(source('crm', 'deletion_requests'), 'deletion_requests',
            ['user_id', 'requested_at'], optional=true) }}
    ) as landed

),

events as (

    select
        {{ clean_identity('anonymous_id') }} as anonymous_id,
        {{ clean_identity('user_id') }} as user_id
    from (
        {{ landing_select(source('tracking', 'events'), 'events',
            ['anonymous_id', 'user_id']) }}
    ) as landed

),

devices as (

    select distinct events.anonymous_id
    from events
    inner join requests
        on events.user_id = requests.user_id
    where events.anonymous_id is not null

),

final as (

    select user_id as erased_id from requests
    where user_id is not null
    union
    select anonymous_id as erased_id from devices

)

select * from final
