"""The physical floor: the ten rule segments straight from the raw landing files.

    .venv/bin/python bench/floor.py --raw data/raw                      # as_of latest
    .venv/bin/python bench/floor.py --raw data/raw --as-of 2025-01-01   # a given as_of

One hand-written DuckDB statement reads the landing files (events, order lines, CRM and
deletion requests under SEGMART_RAW_DIR, see docs/input-contract.md) and the two seeds it
needs (event_taxonomy, order_statuses), and computes the memberships of the ten rules of
models/marts/segments/seg_*.sql (not seg_rfm, which ranks user_features), with the rule
vars of dbt_project.yml: the same row checks, de-duplication, erasure, identity stitching,
sessions and local times, windows exact to the second of as_of. No stored state, no tests,
no other marts: what any build must at least pay to answer the same question, so
`bench/bench_build.py` prints the dbt build's time as a multiple of it.
tests/python/test_floor.py checks that it equals the build's segment_memberships.

What it does not reproduce: landing-file checks (landing_files_rejected: every file is read),
text or epoch-integer times (landed as timestamps, as the generator writes them), and the
incremental tables' lookback (a full refresh's answer).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import duckdb
import yaml

ROOT = Path(__file__).resolve().parents[1]


def rule_vars(project: Path = ROOT / "dbt_project.yml") -> dict:
    """The vars of dbt_project.yml (the rule thresholds and windows, the blocked ids)."""
    return yaml.safe_load(project.read_text())["vars"]


def _files(raw: Path, table: str) -> str:
    files = sorted(str(p) for p in (raw / table).rglob("*.parquet"))
    if not files:
        return ""
    listed = ", ".join("'" + f.replace("'", "''") + "'" for f in files)
    return f"read_parquet([{listed}], union_by_name = true, filename = true)"


def floor_sql(raw: Path, as_of: str | None = None, overrides: dict | None = None) -> str:
    """The one statement: one row per (segment, user_id) of the ten rules."""
    v = {**rule_vars(), **(overrides or {})}
    blocked = ", ".join("'" + str(b).replace("'", "''") + "'" for b in v["segmart_blocked_ids"])

    def clean(column: str) -> str:
        return (f"case when {column} is null then null "
                f"when lower(trim(cast({column} as varchar))) in ({blocked}) then null "
                f"when replace(replace(trim(cast({column} as varchar)), '0', ''), '-', '') = '' "
                f"then null else trim(cast({column} as varchar)) end")

    def days(t: str) -> str:
        # whole days before as_of, as int_user_days_aggregated counts them
        return (f"cast(floor(((epoch_us(as_of.as_of) - epoch_us({t})) / 1000000.0) / 86400) "
                "as integer)")

    def part_of_day(t: str, part: str) -> str:
        hour = f"extract(hour from {t})"
        return (f"({hour} >= {v[f'segmart_{part}_start_hour']} "
                f"and {hour} < {v[f'segmart_{part}_end_hour']})")

    events_src = _files(raw, "events")
    orders_src = _files(raw, "orders")
    customers_src = _files(raw, "customers")
    requests_src = _files(raw, "deletion_requests")
    no_requests = "(select null::varchar as user_id where false)"
    tolerance = int(v["segmart_future_tolerance_hours"])
    future = f"current_timestamp::timestamp + interval {tolerance} hour"
    order_local = "timezone(coalesce(customers.time_zone, 'UTC'), orders.ordered_at::timestamptz)"
    as_of_sql = (f"select timestamp '{as_of}' as as_of" if as_of else
                 "select greatest(coalesce(e.m, o.m), coalesce(o.m, e.m)) as as_of from "
                 "(select max(occurred_at) as m from events) as e, "
                 "(select max(ordered_at) as m from order_lines where is_completed) as o")
    gap_s = int(v["segmart_session_gap_minutes"]) * 60
    max_s = int(v["segmart_session_max_minutes"]) * 60
    taxonomy = ROOT / "seeds" / "event_taxonomy.csv"
    statuses = ROOT / "seeds" / "order_statuses.csv"
    return f"""
with
requests as (
    select distinct {clean('user_id')} as user_id
    from {f'(select user_id from {requests_src})' if requests_src else no_requests}
    where {clean('user_id')} is not null
),
requests_as_ids as (select user_id as erased_id from requests),
erased_ids as (
    -- the files are read twice rather than through one CTE, which DuckDB would materialize
    select user_id as erased_id from requests
    union
    select {clean('landed.anonymous_id')}
    from (select user_id, anonymous_id from {events_src}) as landed
    inner join requests
        on trim(cast(landed.user_id as varchar)) = requests.user_id
    where {clean('landed.anonymous_id')} is not null
),
typed_events as (
    select
        nullif(trim(cast(event_id as varchar)), '') as event_id,
        lower(trim(cast(event_type as varchar))) as event_type,
        occurred_at as occurred_at_landed,
        try_cast(occurred_at as timestamp) as occurred_at,
        {clean('anonymous_id')} as anonymous_id,
        {clean('user_id')} as user_id,
        page_path,
        nullif(trim(cast(product_id as varchar)), '') as product_id,
        price as price_landed, try_cast(price as double) as price,
        quantity as quantity_landed, try_cast(quantity as integer) as quantity,
        try_cast(engagement_ms as bigint) as engagement_ms,
        filename
    from {events_src}
),
valid_events as (
    select typed_events.*
    from typed_events
    where event_id is not null
        and (anonymous_id is not null or user_id is not null)
        and event_type in (select event_type from read_csv('{taxonomy}'))
        and occurred_at is not null
        and occurred_at <= {future}
        and not (price_landed is not null and price is null) and coalesce(price, 0) >= 0
        and not (quantity_landed is not null and quantity is null) and coalesce(quantity, 1) > 0
        and coalesce(user_id, '') not in (select erased_id from requests_as_ids)
        and coalesce(anonymous_id, '') not in (select erased_id from erased_ids)
),
redelivered as (
    select event_id from valid_events group by event_id having count(*) > 1
),
events as (
    -- at-least-once delivery: the copy from the first file by name, then the earliest;
    -- only the ids with more than one copy are sorted
    select event_id, event_type, occurred_at, anonymous_id, user_id, product_id, price,
        coalesce(quantity, 1) as quantity
    from valid_events
    where event_id not in (select event_id from redelivered)
    union all
    select event_id, event_type, occurred_at, anonymous_id, user_id, product_id, price,
        coalesce(quantity, 1) as quantity
    from valid_events
    where event_id in (select event_id from redelivered)
    qualify row_number() over (
        partition by event_id
        order by filename, occurred_at, engagement_ms, price, quantity, page_path
    ) = 1
),
statuses as (select status, counts_as_purchase from read_csv('{statuses}')),
typed_lines as (
    select
        nullif(trim(cast(order_id as varchar)), '') as order_id,
        try_cast(line_number as integer) as line_number,
        {clean('user_id')} as user_id,
        ordered_at as ordered_at_landed,
        try_cast(ordered_at as timestamp) as ordered_at,
        nullif(trim(cast(product_id as varchar)), '') as product_id,
        try_cast(quantity as integer) as quantity,
        try_cast(unit_price as double) as unit_price,
        lower(trim(cast(status as varchar))) as status,
        filename
    from {orders_src}
),
order_lines as (
    select typed_lines.*, statuses.counts_as_purchase as is_completed
    from typed_lines
    inner join statuses on typed_lines.status = statuses.status
    where order_id is not null and line_number is not null and user_id is not null
        and ordered_at is not null and ordered_at <= {future}
        and quantity > 0 and unit_price >= 0
        and user_id not in (select erased_id from requests_as_ids)
    qualify row_number() over (
        partition by order_id, line_number
        order by filename, ordered_at, typed_lines.status, product_id, quantity, unit_price
    ) = 1
),
customers as (
    select
        {clean('user_id')} as user_id,
        zones.name as time_zone
    from {customers_src} as landed
    left join (select distinct name from pg_timezone_names()) as zones
        on nullif(trim(cast(landed.timezone as varchar)), '') = zones.name
    where {clean('user_id')} is not null
        and {clean('user_id')} not in (select erased_id from requests_as_ids)
    qualify row_number() over (
        partition by {clean('user_id')}
        order by coalesce(try_cast(updated_at as timestamp),
                          try_cast(consent_updated_at as timestamp),
                          try_cast(signup_at as timestamp)) desc nulls last,
            filename desc, lower(nullif(trim(cast(email as varchar)), '')) desc
    ) = 1
),
as_of as ({as_of_sql}),
devices as (
    select anonymous_id, max_by(user_id, row(occurred_at, event_id)) as user_id
    from events, as_of
    where anonymous_id is not null and user_id is not null and occurred_at <= as_of.as_of
    group by anonymous_id
),
stitched as (
    select
        events.event_id, events.event_type, events.product_id, events.price,
        events.quantity, events.occurred_at,
        coalesce(events.user_id, devices.user_id, events.anonymous_id) as user_id
    from events
    cross join as_of
    left join devices on events.anonymous_id = devices.anonymous_id
    where events.occurred_at <= as_of.as_of
),
person_events as (
    select stitched.*, {days('stitched.occurred_at')} as days_before_as_of,
        timezone(coalesce(customers.time_zone, 'UTC'), stitched.occurred_at::timestamptz)
            as occurred_at_local
    from stitched
    cross join as_of
    left join customers on stitched.user_id = customers.user_id
    where stitched.user_id not in (select erased_id from requests_as_ids)
),
gaps as (
    select *,
        max(case when previous_at is null
                 or (epoch_us(occurred_at) - epoch_us(previous_at)) / 1000000.0 > {gap_s}
            then occurred_at end)
            over (partition by user_id order by occurred_at, event_id
                  rows between unbounded preceding and current row) as run_started_at
    from (select user_id, event_id, occurred_at, occurred_at_local,
              lag(occurred_at) over (partition by user_id order by occurred_at, event_id)
                  as previous_at
          from person_events)
),
sessions as (
    select user_id, min(occurred_at) as started_at, min(occurred_at_local) as started_at_local
    from gaps
    group by user_id, run_started_at,
        floor(((epoch_us(occurred_at) - epoch_us(run_started_at)) / 1000000.0) / {max_s})
),
session_days as (
    select user_id, {days('started_at')} as days_before_as_of,
        {part_of_day('started_at_local', 'evening')} as is_evening
    from sessions, as_of
),
orders as (
    select orders.*, {days('orders.ordered_at')} as days_before_as_of,
        {part_of_day(order_local, 'morning')} as is_morning
    from (
        select order_id, min(user_id) as user_id, min(ordered_at) as ordered_at
        from order_lines where is_completed group by order_id
    ) as orders
    cross join as_of
    left join customers on orders.user_id = customers.user_id
    where orders.ordered_at <= as_of.as_of
        and orders.user_id not in (select erased_id from requests_as_ids)
),
activity as (
    select user_id, days_before_as_of from person_events
    union all
    select user_id, days_before_as_of from orders
),
latest as (
    select user_id, max(last_add_to_cart_at) as last_add_to_cart_at,
        max(last_order_at) as last_order_at
    from (
        select user_id, max(occurred_at) as last_add_to_cart_at, null as last_order_at
        from person_events where event_type = 'add_to_cart' group by user_id
        union all
        select user_id, null, max(ordered_at) from orders group by user_id
    )
    group by user_id
),
cart_abandoners as (
    select latest.*
    from latest, as_of
    where latest.user_id in (
            select user_id from person_events
            where event_type = 'add_to_cart'
                and days_before_as_of < {int(v['segmart_cart_abandoners_window_days'])}
            group by user_id
            having count(*) >= {int(v['segmart_cart_abandoners_min_add_to_carts'])})
        and (latest.last_order_at is null or latest.last_order_at < latest.last_add_to_cart_at)
        and latest.last_add_to_cart_at
            <= as_of.as_of - interval {int(v['segmart_cart_abandoners_grace_hours'])} hour
),
product_views as (
    select user_id, product_id, days_before_as_of, count(*) as views
    from person_events
    where event_type = 'product_view' and product_id is not null
    group by all
),
ordered_products as (
    select distinct orders.user_id, order_lines.product_id, orders.days_before_as_of
    from orders
    inner join order_lines on orders.order_id = order_lines.order_id
    where order_lines.is_completed and order_lines.product_id is not null
),
rules as (
    select user_id, 'cart_abandoners' as segment from cart_abandoners
    union all
    select cart_abandoners.user_id, 'high_value_cart_abandoners'
    from cart_abandoners
    inner join person_events
        on cart_abandoners.user_id = person_events.user_id
    where person_events.event_type = 'add_to_cart'
        and person_events.days_before_as_of < {int(v['segmart_cart_abandoners_window_days'])}
        and (cart_abandoners.last_order_at is null
             or person_events.occurred_at > cart_abandoners.last_order_at)
    group by cart_abandoners.user_id
    having sum(cast(coalesce(person_events.price, 0) * person_events.quantity
                    as decimal(18, 4))) >= {v['segmart_high_value_cart_min_value']}
    union all
    select user_id, 'dormant_users' from activity group by user_id
    having count_if(days_before_as_of < {int(v['segmart_dormant_days'])}) = 0
    union all
    select user_id, 'highly_active_users' from session_days
    where days_before_as_of < {int(v['segmart_highly_active_window_days'])}
    group by user_id having count(*) >= {int(v['segmart_highly_active_min_sessions'])}
    union all
    select user_id, 'frequent_morning_buyers' from orders
    where days_before_as_of < {int(v['segmart_morning_buyers_window_days'])} and is_morning
    group by user_id having count(*) >= {int(v['segmart_morning_buyers_min_orders'])}
    union all
    select user_id, 'infrequent_evening_browsers'
    from (
        select user_id, count_if(is_evening) as evening, count(*) as sessions, 0 as orders
        from session_days
        where days_before_as_of < {int(v['segmart_evening_browsers_window_days'])}
        group by user_id
        union all
        select user_id, 0, 0, count(*) from orders
        where days_before_as_of < {int(v['segmart_evening_browsers_window_days'])}
        group by user_id
    )
    group by user_id
    having sum(evening) >= {int(v['segmart_evening_browsers_min_sessions'])}
        and sum(evening) >= {float(v['segmart_evening_browsers_min_share'])} * sum(sessions)
        and sum(orders) <= {int(v['segmart_evening_browsers_max_orders'])}
    union all
    select distinct viewed.user_id, 'repeat_product_viewers'
    from (
        select user_id, product_id from product_views
        where days_before_as_of < {int(v['segmart_repeat_viewers_window_days'])}
        group by all having sum(views) >= {int(v['segmart_repeat_viewers_min_views'])}
    ) as viewed
    where not exists (
        select 1 from ordered_products
        where ordered_products.user_id = viewed.user_id
            and ordered_products.product_id = viewed.product_id
            and ordered_products.days_before_as_of
                < {int(v['segmart_repeat_viewers_window_days'])})
    union all
    select distinct cart_abandoners.user_id, 'high_intent'
    from cart_abandoners
    inner join (
        select user_id, product_id from product_views
        where days_before_as_of < {int(v['segmart_high_intent_window_days'])}
        group by all having sum(views) >= {int(v['segmart_high_intent_min_views'])}
    ) as viewed
        on cart_abandoners.user_id = viewed.user_id
    union all
    select user_id, 'new_users' from activity group by user_id
    having max(days_before_as_of) < {int(v['segmart_new_users_window_days'])}
    union all
    select user_id, 'churn_risk' from orders group by user_id
    having count_if(days_before_as_of >= {int(v['segmart_churn_risk_recent_days'])}
                    and days_before_as_of < {int(v['segmart_churn_risk_recent_days'])
                                             + int(v['segmart_churn_risk_earlier_days'])})
            >= {int(v['segmart_churn_risk_min_orders'])}
        and count_if(days_before_as_of < {int(v['segmart_churn_risk_recent_days'])}) = 0
)
select segment, user_id from rules
"""


def memberships(raw: Path, as_of: str | None = None, overrides: dict | None = None,
                con: duckdb.DuckDBPyConnection | None = None) -> list[tuple[str, str]]:
    """(segment, user_id) of the ten rules, sorted."""
    con = con or duckdb.connect()
    con.execute("set TimeZone = 'UTC'")
    sql = floor_sql(raw, as_of, overrides)
    return sorted(con.execute(sql).fetchall())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--raw", type=Path, default=Path("data/raw"),
                        help="the landing zone (SEGMART_RAW_DIR)")
    parser.add_argument("--as-of", default=None, help="UTC timestamp; default: latest activity")
    parser.add_argument("--memory-limit", default=None, help="DuckDB memory_limit")
    args = parser.parse_args(argv)
    con = duckdb.connect()
    if args.memory_limit:
        con.execute(f"set memory_limit = '{args.memory_limit}'")
    started = time.perf_counter()
    rows = memberships(args.raw, args.as_of, con=con)
    seconds = time.perf_counter() - started
    counts: dict[str, int] = {}
    for segment, _ in rows:
        counts[segment] = counts.get(segment, 0) + 1
    for segment in sorted(counts):
        print(f"  {segment:<28} {counts[segment]:>9,}")
    print(f"floor: {len(rows):,} memberships in {seconds:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
