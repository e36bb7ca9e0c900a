{#- Every valid event at or before as_of with the person it belongs to (user_id): its own
    login if it has one, else its device's person (int_identity_map), else the device id
    itself. Persons with an erasure request are left out. -#}
with

events as (

    select * from {{ ref('stg_tracking__events') }}

),

identity_map as (

    select
        anonymous_id,
        user_id
    from {{ ref('int_identity_map') }}

),

customers as (

    select
        user_id,
        time_zone
    from {{ ref('stg_crm__customers') }}

),

deletion_requests as (

    select user_id from {{ ref('stg_crm__deletion_requests') }}

),

as_of as (

    select as_of from {{ ref('int_as_of_resolved') }}

),

stitched as (

    select
        events.event_id,
        coalesce(events.user_id, identity_map.user_id, events.anonymous_id) as user_id,
        events.user_id is not null or identity_map.user_id is not null as is_identified,
        events.anonymous_id,
        events.user_id as login_user_id,
        events.event_type,
        events.occurred_at,
        {{ whole_days_between('events.occurred_at', 'as_of.as_of') }} as days_before_as_of,
        events.page_path,
        events.product_id,
        events.category,
        events.price,
        events.quantity,
        events.device_type,
        events.channel,
        events.country,
        events.engagement_ms
    from events
    inner join as_of
        on events.occurred_at <= as_of.as_of
    left join identity_map
        on events.anonymous_id = identity_map.anonymous_id

),

final as (

    select
        stitched.*,
        customers.time_zone,
        {{ to_local_time('stitched.occurred_at', 'customers.time_zone') }} as occurred_at_local
    from stitched
    left join customers
        on stitched.user_id = customers.user_id
    left join deletion_requests
        on stitched.user_id = deletion_requests.user_id
    where deletion_requests.user_id is null

)

select * from final
