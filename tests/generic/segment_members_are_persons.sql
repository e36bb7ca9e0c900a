{% test segment_members_are_persons(model) %}

with

members as (

    select cast(user_id as string) as user_id from {{ model }}
    where user_id is not null

),

profiles as (

    select cast(user_id as string) as user_id from {{ ref('user_profiles') }}

),

final as (

    select members.user_id
    from members
    left join profiles
        on members.user_id = profiles.user_id
    where profiles.user_id is null

)

select * from final

{% endtest %}
