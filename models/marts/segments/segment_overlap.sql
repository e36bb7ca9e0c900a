{#- One row per pair of segments that share at least one member: sizes, the intersection and
    the Jaccard similarity |A and B| / |A or B|. -#}
with

memberships as (

    select
        segment,
        user_id
    from {{ ref('segment_memberships') }}

),

sizes as (

    select
        segment,
        count(*) as count_members
    from memberships
    group by segment

),

intersections as (

    select
        left_side.segment as segment_a,
        right_side.segment as segment_b,
        count(*) as count_both
    from memberships as left_side
    inner join memberships as right_side
        on left_side.user_id = right_side.user_id
            and left_side.segment < right_side.segment
    group by left_side.segment, right_side.segment

),

final as (

    select
        intersections.segment_a,
        intersections.segment_b,
        cast(sizes_a.count_members as bigint) as count_members_a,
        cast(sizes_b.count_members as bigint) as count_members_b,
        cast(intersections.count_both as bigint) as count_both,
        cast(
            intersections.count_both
            / (sizes_a.count_members + sizes_b.count_members - intersections.count_both)
            as double
        ) as jaccard
    from intersections
    inner join sizes as sizes_a
        on intersections.segment_a = sizes_a.segment
    inner join sizes as sizes_b
        on intersections.segment_b = sizes_b.segment

)

select * from final
