{#- One row per segment and build: size change and Jaccard stability of the members against
    the previous build in segment_membership_history, with flags. -#}
with

history as (

    select
        as_of,
        segment,
        user_id
    from {{ ref('segment_membership_history') }}

),

builds as (

    select
        as_of,
        lag(as_of) over (order by as_of) as previous_as_of
    from (select distinct as_of from history) as distinct_builds

),

sizes as (

    select
        as_of,
        segment,
        count(*) as count_members
    from history
    group by as_of, segment

),

pairs as (

    -- every segment seen in either of two consecutive builds
    select
        builds.as_of,
        builds.previous_as_of,
        sizes.segment
    from builds
    inner join sizes
        on builds.as_of = sizes.as_of
            or builds.previous_as_of = sizes.as_of
    group by builds.as_of, builds.previous_as_of, sizes.segment

),

kept as (

    select
        builds.as_of,
        current_members.segment,
        count(*) as count_kept
    from builds
    inner join history as current_members
        on builds.as_of = current_members.as_of
    inner join history as previous_members
        on builds.previous_as_of = previous_members.as_of
            and current_members.segment = previous_members.segment
            and current_members.user_id = previous_members.user_id
    group by builds.as_of, current_members.segment

),

compared as (

    select
        pairs.segment,
        pairs.as_of,
        pairs.previous_as_of,
        coalesce(current_sizes.count_members, 0) as count_members,
        coalesce(previous_sizes.count_members, 0) as count_members_previous,
        coalesce(kept.count_kept, 0) as count_kept
    from pairs
    left join sizes as current_sizes
        on pairs.as_of = current_sizes.as_of
            and pairs.segment = current_sizes.segment
    left join sizes as previous_sizes
        on pairs.previous_as_of = previous_sizes.as_of
            and pairs.segment = previous_sizes.segment
    left join kept
        on pairs.as_of = kept.as_of
            and pairs.segment = kept.segment

),

final as (

    select
        segment,
        as_of,
        previous_as_of,
        cast(count_members as bigint) as count_members,
        cast(count_members_previous as bigint) as count_members_previous,
        cast(
            (count_members - count_members_previous) / nullif(count_members_previous, 0)
            as double
        ) as size_change,
        case
            when previous_as_of is not null
                then cast(
                        count_kept
                        / nullif(count_members + count_members_previous - count_kept, 0)
                        as double
                    )
        end as jaccard,
        previous_as_of is not null
        and (
            count_members_previous = 0
            or abs(count_members - count_members_previous)
            > {{ var('segmart_segment_max_size_change') }} * count_members_previous
        ) as is_size_flagged,
        previous_as_of is not null
        and count_kept
        < {{ share_var('segmart_segment_min_stability') }}
        * (count_members + count_members_previous - count_kept) as is_stability_flagged
    from compared

)

select * from final
