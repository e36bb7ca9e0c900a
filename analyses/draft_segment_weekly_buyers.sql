-- A draft rule, written with the rule vocabulary, to try out before it becomes a segment:
-- persons with a completed order in at least 3 of the last 4 weeks who did not buy in the
-- last 3 days. `dbt compile -s draft_segment_weekly_buyers` and run the SQL it prints in
-- target/compiled/ against the warehouse; when it looks right, move it to
-- models/marts/segments/seg_weekly_buyers.sql (see README, "Add a segment in three steps").
with

regular_buyers as (

    {{ rule_performed_regularly(
        'count_orders', period_days=7, periods=4, min_periods=3, as_name='buying',
    ) }}

),

quiet_lately as (

    {{ rule_did_not_perform('count_orders', within_days=3, as_name='order') }}

),

as_of as (

    select as_of from {{ ref('int_as_of_resolved') }}

),

final as (

    select
        regular_buyers.user_id,
        'weekly_buyers' as segment,
        as_of.as_of,
        regular_buyers.count_buying_periods,
        quiet_lately.last_order_days_ago
    from regular_buyers
    inner join quiet_lately
        on regular_buyers.user_id = quiet_lately.user_id
    cross join as_of

)

select * from final
