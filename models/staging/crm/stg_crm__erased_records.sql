{{ config(materialized='incremental', incremental_strategy='append', full_refresh=false) }}
{#- One row per CRM record to erase: the requested ones and their e-mail and phone mates
    (macro erased_records), and every other record of their persons in the previous build.
    Stored, appended to and never rebuilt: once erased, the mates are in no identity model,
    so this list is the only memory of them. -#}
{%- set previous_persons = stored_model_relation('int_identity_persons') %}

with

landed as (

    {{ erased_records() }}

),

person_mates as (

    -- the previous build's persons still hold the requested records and all their mates
    {%- if previous_persons is not none %}
        select distinct
            mates.user_id,
            'same_person' as erased_because
        from {{ previous_persons }} as mates
        inner join {{ previous_persons }} as erased_person
            on mates.person_id = erased_person.person_id
        inner join landed
            on erased_person.user_id = landed.user_id
    {%- else %}
        select
            user_id,
            erased_because
        from landed
        where false
    {%- endif %}

),

candidates as (

    select
        user_id,
        erased_because
    from landed
    where user_id is not null
    union all
    select
        user_id,
        erased_because
    from person_mates

),

final as (

    select
        candidates.user_id,
        -- 'requested' sorts before 'same_person'
        min(candidates.erased_because) as erased_because
    from candidates
    {%- if is_incremental() %}
        left join {{ this }} as stored
            on candidates.user_id = stored.user_id
        where stored.user_id is null
    {%- endif %}
    group by candidates.user_id

)

select * from final
