{#- Which person each device belongs to: the user_id of its latest logged-in event at or
    before as_of (a shared device follows its latest user, for all of its events). One
    aggregate, not a window: the latest login is the greatest (time, event_id), found
    without sorting every logged-in event or reading them twice. A person keeps at most
    segmart_identity_max_devices devices, the first identified: a later one is over the
    limit and stays its own person (int_events_stitched skips it; identity_merge_audit
    records it). -#}
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
        count(distinct user_id) as count_users_seen,
        -- the latest login; the greatest event_id breaks a tie
        max_by(user_id, {{ ordered_tuple(['occurred_at', 'event_id']) }}) as user_id
    from visible
    group by anonymous_id

),

ranked as (

    select
        *,
        row_number() over (
            partition by user_id
            order by first_identified_at, anonymous_id
        ) as device_rank
    from devices

),

final as (

    select
        anonymous_id,
        user_id,
        first_identified_at,
        last_identified_at,
        count_users_seen,
        count_users_seen > 1 as is_shared_device,
        device_rank,
        device_rank > {{ positive_var('segmart_identity_max_devices', 1) }} as is_over_limit
    from ranked

)

select * from final
