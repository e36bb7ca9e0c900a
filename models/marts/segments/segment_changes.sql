{#- One row per person who entered or left a segment between two consecutive as_of values in
    segment_membership_history: what triggered campaigns act on. The first as_of on record
    has everyone entering. -#}
with

history as (

    select * from {{ ref('segment_membership_history') }}

),

builds as (

    select
        as_of,
        lag(as_of) over (order by as_of) as previous_as_of
    from (select distinct as_of from history) as distinct_builds

),

current_and_previous as (

    select
        builds.as_of,
        builds.previous_as_of,
        history.segment,
        history.user_id,
        'current' as side
    from builds
    inner join history
        on builds.as_of = history.as_of
    union all
    select
        builds.as_of,
        builds.previous_as_of,
        history.segment,
        history.user_id,
        'previous' as side
    from builds
    inner join history
        on builds.previous_as_of = history.as_of

),

compared as (

    select
        as_of,
        previous_as_of,
        segment,
        user_id,
        max(case when side = 'current' then 1 else 0 end) as is_current,
        max(case when side = 'previous' then 1 else 0 end) as was_previous
    from current_and_previous
    group by 1, 2, 3, 4

),

final as (

    select
        user_id,
        segment,
        case when is_current = 1 then 'entered' else 'exited' end as change_type,
        as_of,
        previous_as_of
    from compared
    where is_current != was_previous

)

select * from final
