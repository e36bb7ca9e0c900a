"""Map the UCI Online Retail data set onto segmart's landing zone (the orders contract).

    python -m segmart.online_retail --source ../shared/data/online_retail.parquet \\
        --out data/online_retail

The source is every order line of a UK online gift retailer, 2010-12-01 to 2011-12-09
(columns InvoiceNo, StockCode, Description, Quantity, InvoiceDate, UnitPrice, CustomerID,
Country). The adapter maps, it does not judge: every source line becomes exactly one landed
order line, and the staging models decide what is valid, so the row counts of
`data_quality_row_counts` reconcile with the source file.

- order_id = InvoiceNo; line_number numbers the distinct lines of an invoice in file order,
  and a line repeated verbatim gets the number of its first copy, so staging rejects it as
  duplicate_order_line.
- ordered_at: InvoiceDate is UK local time (GMT/BST); converted to UTC.
- status: an invoice starting with 'C' is a cancellation -> 'cancelled'; any other negative
  quantity (stock adjustments) -> 'refunded'; else 'completed'. The quantity is landed as its
  absolute value (the status carries the direction).
- user_id = 'c' + CustomerID; lines without a customer land without one and are rejected
  (missing_user_id); prices land as they are: a zero price is a free item (staged, flagged
  is_free_item), a negative one is rejected (negative_unit_price).
- customers: one record per (CustomerID, Country) with updated_at = the last invoice there, so a
  customer seen in two countries is "listed twice" and the latest wins. The CRM time zone is
  the country's (UK: Europe/London); marketing consent is unknown, so false. No e-mails.
- events: the data set has no clickstream; an empty events file with the contract's columns is
  landed, so every event-based rule is empty.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import time
from pathlib import Path

import duckdb

# Country -> IANA time zone of the CRM record (the country's capital's zone)
COUNTRY_TIME_ZONES = {
    "United Kingdom": "Europe/London", "EIRE": "Europe/Dublin", "Channel Islands":
    "Europe/Jersey", "Germany": "Europe/Berlin", "France": "Europe/Paris", "Spain":
    "Europe/Madrid", "Netherlands": "Europe/Amsterdam", "Belgium": "Europe/Brussels",
    "Switzerland": "Europe/Zurich", "Portugal": "Europe/Lisbon", "Australia": "Australia/Sydney",
    "Norway": "Europe/Oslo", "Italy": "Europe/Rome", "Finland": "Europe/Helsinki", "Cyprus":
    "Asia/Nicosia", "Sweden": "Europe/Stockholm", "Austria": "Europe/Vienna", "Denmark":
    "Europe/Copenhagen", "Japan": "Asia/Tokyo", "Poland": "Europe/Warsaw", "Israel":
    "Asia/Jerusalem", "USA": "America/New_York", "Hong Kong": "Asia/Hong_Kong", "Singapore":
    "Asia/Singapore", "Iceland": "Atlantic/Reykjavik", "Canada": "America/Toronto", "Greece":
    "Europe/Athens", "Malta": "Europe/Malta", "United Arab Emirates": "Asia/Dubai", "RSA":
    "Africa/Johannesburg", "Lebanon": "Asia/Beirut", "Lithuania": "Europe/Vilnius", "Brazil":
    "America/Sao_Paulo", "Czech Republic": "Europe/Prague", "Bahrain": "Asia/Bahrain",
    "Saudi Arabia": "Asia/Riyadh",
    # 'European Community' and 'Unspecified' name no zone: the record has none (UTC)
}

# dbt vars for a build on this data: the day after the last invoice as as_of; everything else
# is the default (the clustering leaves out the clickstream features, constant without events)
DBT_VARS = {
    "as_of": "2011-12-10 00:00:00",
}

SOURCE_COLUMNS = ("InvoiceNo", "StockCode", "Description", "Quantity", "InvoiceDate",
                  "UnitPrice", "CustomerID", "Country")

ORDERS_SQL = """
    with source as (
        select *, row_number() over () as source_row
        from read_parquet($source)
    ),
    lines as (
        select
            *,
            -- a verbatim repeat gets the number of its first copy
            min(source_row) over (
                partition by InvoiceNo, StockCode, Description, Quantity, InvoiceDate,
                             UnitPrice, CustomerID, Country
            ) as first_copy_row
        from source
    )
    select
        cast(InvoiceNo as varchar) as order_id,
        cast(dense_rank() over (partition by InvoiceNo order by first_copy_row) as integer)
            as line_number,
        case when CustomerID is not null
            then 'c' || cast(cast(CustomerID as bigint) as varchar) end as user_id,
        -- UK local time (GMT in winter, BST in summer) to UTC
        timezone('Europe/London', InvoiceDate) as ordered_at,
        cast(StockCode as varchar) as product_id,
        cast(null as varchar) as category,
        cast(abs(Quantity) as integer) as quantity,
        UnitPrice as unit_price,
        case
            when InvoiceNo like 'C%' then 'cancelled'
            when Quantity < 0 then 'refunded'
            else 'completed'
        end as status
    from lines
    order by source_row
"""

CUSTOMERS_SQL = """
    with zones as (
        select * from (values {zones}) as z (zone_country, time_zone)
    )
    select
        'c' || cast(cast(CustomerID as bigint) as varchar) as user_id,
        cast(null as varchar) as email,
        cast(null as timestamptz) as signup_at,
        source.Country as country,
        zones.time_zone as timezone,
        false as marketing_consent,
        max(timezone('Europe/London', InvoiceDate)) as updated_at
    from read_parquet($source) as source
    left join zones on source.Country = zones.zone_country
    where CustomerID is not null
    group by all
    order by user_id, updated_at
"""

EVENTS_SQL = """
    select
        cast(null as varchar) as event_id, cast(null as varchar) as event_type,
        cast(null as timestamptz) as occurred_at, cast(null as varchar) as anonymous_id,
        cast(null as varchar) as user_id, cast(null as varchar) as page_path,
        cast(null as varchar) as product_id, cast(null as varchar) as category,
        cast(null as double) as price, cast(null as integer) as quantity,
        cast(null as varchar) as device_type, cast(null as varchar) as channel,
        cast(null as varchar) as country, cast(null as bigint) as engagement_ms
    where false
"""


class AdapterError(RuntimeError):
    """The source cannot be mapped; the message says what to fix."""


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def convert(source: Path, out: Path, progress=None) -> dict[str, int]:
    """Write out/orders, out/customers and out/events; return rows per landing table."""
    say = progress or (lambda _msg: None)
    if not source.exists():
        raise AdapterError(f"no file at {source}: the Online Retail data set is expected in "
                           "../shared/data/online_retail.parquet (see its README)")
    con = duckdb.connect()
    con.execute("set TimeZone = 'UTC'")
    columns = [r[0] for r in con.execute(
        f"describe select * from read_parquet({_literal(str(source))})").fetchall()]
    missing = [c for c in SOURCE_COLUMNS if c not in columns]
    if missing:
        raise AdapterError(f"{source} lacks the Online Retail columns {missing}")
    for table in ("orders", "customers", "events", "deletion_requests", "campaign_outcomes"):
        shutil.rmtree(out / table, ignore_errors=True)
    zones = ", ".join(f"({_literal(c)}, {_literal(z)})" for c, z in COUNTRY_TIME_ZONES.items())
    params = {"source": str(source)}
    counts: dict[str, int] = {}
    for table, sql in (("orders", ORDERS_SQL), ("customers", CUSTOMERS_SQL.format(zones=zones)),
                       ("events", EVENTS_SQL)):
        folder = out / table
        folder.mkdir(parents=True)
        relation = con.sql(sql, params=params) if "$source" in sql else con.sql(sql)
        relation.write_parquet(str(folder / "part-0.parquet"))
        counts[table] = con.execute(
            f"select count(*) from read_parquet({_literal(str(folder / 'part-0.parquet'))})"
        ).fetchall()[0][0]
        say(f"{table}: {counts[table]:,} rows -> {folder}/")
    counts["source"] = con.execute(
        f"select count(*) from read_parquet({_literal(str(source))})").fetchall()[0][0]
    if counts["source"] != counts["orders"]:  # the adapter maps, it never drops
        raise AdapterError(f"{counts['source']:,} source lines but {counts['orders']:,} landed")
    return counts


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m segmart.online_retail", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--source", type=Path,
                        default=Path("../shared/data/online_retail.parquet"))
    parser.add_argument("--out", type=Path, default=Path("data/online_retail"))
    parser.add_argument("--dbt-vars", action="store_true",
                        help="print the dbt --vars for a build on this data and exit")
    args = parser.parse_args(argv)
    if args.dbt_vars:
        print(json.dumps(DBT_VARS))
        return 0
    started = time.perf_counter()
    try:
        counts = convert(args.source, args.out, progress=print)
    except AdapterError as exc:
        print(f"segmart online_retail: {exc}", file=sys.stderr)
        return 1
    print(f"landed {counts['orders']:,} order lines (all {counts['source']:,} source lines) and "
          f"{counts['customers']:,} customer records in {args.out}/ "
          f"({time.perf_counter() - started:.1f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
