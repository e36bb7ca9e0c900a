-- Size and revenue of each named RFM segment at as_of: `dbt compile -s rfm_segment_revenue`,
-- then run target/compiled/segmart/analyses/rfm_segment_revenue.sql in any DuckDB client.
with

features as (

    select * from {{ ref('user_features') }}

),

final as (

    select
        rfm_segment,
        count(*) as count_persons,
        sum(total_revenue_lifetime) as total_revenue_lifetime,
        avg(total_revenue_90d) as avg_revenue_90d,
        avg(days_since_last_order) as avg_days_since_last_order
    from features
    group by rfm_segment

)

select * from final
order by total_revenue_lifetime desc
