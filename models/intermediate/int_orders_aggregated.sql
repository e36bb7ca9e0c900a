{#- One row per completed order at or before as_of: its completed lines summed, with its
    person (a CRM record joined to others counts as their person). An order's time is its
    earliest line's ordered_at. Persons with an erasure request are left out. -#}
with

order_lines as (

    select * from {{ ref('stg_shop__order_lines') }}
    where is_completed

),

customers as (

    select
        user_id,
        time_zone
    from {{ ref('stg_crm__customers') }}

),

persons as (

    select
        user_id,
        person_id
    from {{ ref('int_identity_persons') }}
    where user_id != person_id

),

deletion_requests as (

    select user_id from {{ ref('stg_crm__erased_records') }}

),

as_of as (

    select as_of from {{ ref('int_as_of_resolved') }}

),

aggregated as (

    select
        order_lines.order_id,
        min(coalesce(persons.person_id, order_lines.user_id)) as user_id,
        min(order_lines.ordered_at) as ordered_at,
        count(*) as count_lines,
        sum(case when order_lines.is_free_item then 1 else 0 end) as count_free_item_lines,
        sum(order_lines.quantity) as total_quantity,
        sum(order_lines.line_revenue) as total_revenue
    from order_lines
    left join persons
        on order_lines.user_id = persons.user_id
    group by order_lines.order_id

),

localized as (

    select
        aggregated.order_id,
        aggregated.user_id,
        aggregated.ordered_at,
        {{ to_local_time('aggregated.ordered_at', 'customers.time_zone') }} as ordered_at_local,
        cast(aggregated.ordered_at as date) as ordered_date,
        {{ whole_days_between('aggregated.ordered_at', 'as_of.as_of') }} as days_before_as_of,
        aggregated.count_lines,
        aggregated.count_free_item_lines,
        aggregated.total_quantity,
        aggregated.total_revenue
    from aggregated
    inner join as_of
        on aggregated.ordered_at <= as_of.as_of
    left join customers
        on aggregated.user_id = customers.user_id
    left join deletion_requests
        on aggregated.user_id = deletion_requests.user_id
    where deletion_requests.user_id is null

),

final as (

    select
        order_id,
        user_id,
        ordered_at,
        ordered_at_local,
        {{ hour_of_day('ordered_at_local') }} as ordered_local_hour,
        {{ is_part_of_day(hour_of_day('ordered_at_local'), 'morning') }} as is_morning,
        {{ is_part_of_day(hour_of_day('ordered_at_local'), 'evening') }} as is_evening,
        ordered_date,
        days_before_as_of,
        count_lines,
        count_free_item_lines,
        total_quantity,
        total_revenue
    from localized

)

select * from final
