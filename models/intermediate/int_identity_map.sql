{#- Which person each device belongs to: the user_id of its latest logged-in event at or
    before as_of (a shared device follows its latest user, for all of its events). Grouped,
    not windowed: the latest login is found by its time and, on a tie, the greatest
    event_id, without sorting every logged-in event. -#}
with

events as (

    select
        event_id,
        occurred_at,
        anonymous_id,
        user_id
    from {{ ref('stg_tracking__events') }}
    where anonymous_id is not null and user_id is not null

),

as_of as (

    select as_of from {{ ref('int_as_of_resolved') }}

),

visible as (

    select events.*
    from events
    inner join as_of
        on events.occurred_at <= as_of.as_of

),

devices as (

    select
        anonymous_id,
        min(occurred_at) as first_identified_at,
        max(occurred_at) as last_identified_at,
        count(distinct user_id) as count_users_seen
    from visible
    group by anonymous_id

),

latest_logins as (

    -- the device's logins at its latest time; the greatest event_id breaks a tie
    select
        visible.anonymous_id,
        max_by(visible.user_id, visible.event_id) as user_id
    from visible
    inner join devices
        on
            visible.anonymous_id = devices.anonymous_id
            and visible.occurred_at = devices.last_identified_at
    group by visible.anonymous_id

),

final as (

    select
        devices.anonymous_id,
        latest_logins.user_id,
        devices.first_identified_at,
        devices.last_identified_at,
        devices.count_users_seen,
        devices.count_users_seen > 1 as is_shared_device
    from devices
    inner join latest_logins
        on devices.anonymous_id = latest_logins.anonymous_id

)

select * from final
