{#- One row per person and identifier: the CRM records (user_id) merged into the person, its
    e-mails and phones (salted hashes) and its devices. Values over a merge limit are left
    out (int_identity_person_values, int_identity_map); identity_merge_audit lists them. -#}
with

persons as (

    select
        user_id,
        person_id
    from {{ ref('int_identity_persons') }}

),

records as (

    select
        user_id,
        signup_at,
        coalesce(updated_at, consent_updated_at, signup_at) as updated_at
    from {{ ref('stg_crm__customers') }}

),

links as (

    select * from {{ ref('int_identity_links') }}

),

devices as (

    select * from {{ ref('int_identity_map') }}
    where not is_over_limit

),

link_ends as (

    -- how a record joined its person: its own link to another record of the person
    select
        links.user_id_left as user_id,
        links.user_id_right as other_user_id,
        links.matched_by,
        links.match_probability
    from links
    union all
    select
        links.user_id_right as user_id,
        links.user_id_left as other_user_id,
        links.matched_by,
        links.match_probability
    from links

),

member_links as (

    select
        link_ends.user_id,
        link_ends.matched_by,
        row_number() over (
            partition by link_ends.user_id
            order by
                case when link_ends.match_probability is null then 0 else 1 end asc,
                link_ends.match_probability desc,
                link_ends.matched_by asc,
                link_ends.other_user_id asc
        ) as link_rank
    from link_ends
    inner join persons as own
        on link_ends.user_id = own.user_id
    inner join persons as other
        on
            link_ends.other_user_id = other.user_id
            and own.person_id = other.person_id

),

user_ids as (

    select
        persons.person_id,
        'user_id' as identifier_type,
        persons.user_id as identifier_value,
        records.signup_at as first_seen_at,
        records.updated_at as last_seen_at,
        case
            when persons.user_id = persons.person_id then 'crm'
            else member_links.matched_by
        end as matched_by
    from persons
    inner join records
        on persons.user_id = records.user_id
    left join member_links
        on persons.user_id = member_links.user_id and member_links.link_rank = 1

),

contact_values as (

    select
        person_id,
        identifier_type,
        identifier_value,
        first_seen_at,
        last_seen_at,
        value_source as matched_by
    from {{ ref('int_identity_person_values') }}
    where not is_over_limit

),

login_users as (

    -- persons known only from logins, not from the CRM
    select
        devices.user_id as person_id,
        'user_id' as identifier_type,
        devices.user_id as identifier_value,
        min(devices.first_identified_at) as first_seen_at,
        max(devices.last_identified_at) as last_seen_at,
        'login' as matched_by
    from devices
    left join persons
        on devices.user_id = persons.user_id
    where persons.user_id is null
    group by devices.user_id

),

device_values as (

    select
        coalesce(persons.person_id, devices.user_id) as person_id,
        'device' as identifier_type,
        devices.anonymous_id as identifier_value,
        devices.first_identified_at as first_seen_at,
        devices.last_identified_at as last_seen_at,
        devices.matched_by
    from devices
    left join persons
        on devices.user_id = persons.user_id

),

final as (

    select * from user_ids
    union all
    select * from login_users
    union all
    select * from contact_values
    union all
    select * from device_values

)

select * from final
