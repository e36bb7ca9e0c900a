{#- One row per (segment, member): control (held out, not contacted) or treatment, by a
    salted hash of segment and person. The same person keeps their group across builds, and
    the groups of different segments are independent. -#}
with

memberships as (

    select
        segment,
        user_id,
        as_of,
        can_contact
    from {{ ref('segment_memberships') }}

),

hashed as (

    select
        *,
        {{ holdout_unit('segment', 'user_id', var('segmart_holdout_salt')) }} as holdout_unit
    from memberships

),

final as (

    select
        segment,
        user_id,
        case
            when holdout_unit < {{ share_var('segmart_holdout_control_share') }} then 'control'
            else 'treatment'
        end as holdout_group,
        holdout_unit,
        can_contact,
        as_of
    from hashed

)

select * from final
