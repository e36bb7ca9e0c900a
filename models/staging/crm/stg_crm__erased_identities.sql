{{ config(materialized='ephemeral') }}
{#-
    Every identity value to erase: the user_ids of valid deletion requests and of the other
    CRM records of their persons (erased_kind 'user', stg_crm__erased_records), and every
    device (anonymous_id) ever seen logged in as one of them ('device').
    Readers that only hold user_ids filter on erased_kind = 'user', and DuckDB then skips
    the devices, which scan the event files. Ephemeral on purpose: inlined into
    the base models that filter on it, it never becomes a relation that holds these ids.
-#}
{#- the landed requests are read again (with their e-mail and phone mates, which scans the
    CRM files) only while one of them is not on the stored list: a selection that leaves
    the list out still drops a person requested since it was last built -#}
{%- set stored_list = ref('stg_crm__erased_records') %}
{%- set read_landed = true %}
{%- if execute and target.type == 'duckdb'
    and not (stored_list | string).startswith('__dbt__cte__')
    and load_relation(stored_list) is not none %}
    {%- set read_landed = run_query(
        "select count(*) from (" ~ landed_erasure_requests() ~ ") as landed"
        ~ " where user_id not in (select user_id from " ~ stored_list ~ ")"
    ).columns[0].values()[0] > 0 %}
{%- endif %}

with

requests as (

    select user_id from {{ stored_list }}
    {%- if read_landed %}
        union
        select user_id from ({{ erased_records() }}) as landed
    {%- endif %}

),

devices as (

    -- a raw id cleans to a requested (clean) id exactly when its trimmed text is one, so the
    -- landed rows are joined on that and only the requested persons' rows are cleaned. The
    -- clean id is computed from both sides of the join on purpose: DuckDB would otherwise
    -- push the "not null" its readers imply down to every landed row, cleaning each.
    select distinct
        case
            when requests.user_id is not null then {{ clean_identity('landed.anonymous_id') }}
        end as anonymous_id
    from (
        {{ landing_select(source('tracking', 'events'), 'events',
            ['anonymous_id', 'user_id']) }}
    ) as landed
    inner join requests
        on trim(cast(landed.user_id as string)) = requests.user_id

),

final as (

    select
        user_id as erased_id,
        'user' as erased_kind
    from requests
    where user_id is not null
    union
    select
        anonymous_id as erased_id,
        'device' as erased_kind
    from devices
    where anonymous_id is not null

)

select * from final
