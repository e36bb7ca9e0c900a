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
        ) as recency_rank,
        min(occurred_at) over (partition by anonymous_id) as first_identified_at,
        count(distinct user_id) over (partition by anonymous_id) as count_users_seen
    from visible

),

final as (

    select
        anonymous_id,
        user_id,
        first_identified_at,
        occurred_at as last_identified_at,
        count_users_seen,
        count_users_seen > 1 as is_shared_device
    from ranked
    where recency_rank = 1

)

select * from final
