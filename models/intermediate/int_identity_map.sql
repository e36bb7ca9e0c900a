{#- Which person each device belongs to: the user_id of its latest logged-in event at or
    before as_of (a shared device follows its latest user, for all of its events). -#}
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

ranked as (

    select
        anonymous_id,
        user_id,
        occurred_at,
        row_number() over (
            partition by anonymous_id
            order by occurred_at desc, event_id desc
        ) as recency_rank
    from visible

),

devices as (

    select
        anonymous_id,
        min(occurred_at) as first_identified_at,
        count(distinct user_id) as count_users_seen
    from visible
    group by anonymous_id

),

final as (

    select
        ranked.anonymous_id,
        ranked.user_id,
        devices.first_identified_at,
        ranked.occurred_at as last_identified_at,
        devices.count_users_seen,
        devices.count_users_seen > 1 as is_shared_device
    from ranked
    inner join devices
        on ranked.anonymous_id = devices.anonymous_id
    where ranked.recency_rank = 1

)

select * from final
