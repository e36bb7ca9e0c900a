"""Time the activation export on a synthetic serving file (no dbt build needed).

    python bench/bench_export.py --customers 50000 --segments 10

Builds marts.segment_summary / segment_memberships / segment_holdouts and
pii.pii_customers with `customers` persons (each in a segment with probability 0.2, 10 % of
memberships in the control group, GB/US/DE, consents mixed), then times a first export of
every destination, a rerun with nothing changed, and a rerun after 1 % were erased.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import duckdb

from segmart.activation.audiences import export_destinations
from segmart.activation.settings import Settings

DESTINATIONS = ["google_customer_match", "meta_custom_audience", "email"]


def build(path: Path, customers: int, segments: int, erased_share: float = 0.0) -> int:
    path.unlink(missing_ok=True)
    with duckdb.connect(str(path)) as con:
        con.execute("create schema marts; create schema pii")
        con.execute(f"""create table pii.pii_customers as
            select 'u' || lpad(cast(i as varchar), 8, '0') as user_id,
                'user' || i || '@example.com' as email, false as has_invalid_email,
                case i % 3 when 0 then '020 7946 ' || lpad(cast(i % 10000 as varchar), 4, '0')
                    when 1 then '+1 201 555 ' || lpad(cast(i % 10000 as varchar), 4, '0')
                    else null end as phone,
                'Zoë' as first_name, 'O''Brien' as last_name, '10115' as postal_code,
                'Berlin' as city, null as region,
                case i % 3 when 0 then 'GB' when 1 then 'US' else 'DE' end as country,
                case when i % 5 = 0 then 'denied' else 'granted' end as consent_email_marketing,
                case when i % 7 = 0 then null else 'granted' end as consent_ad_user_data,
                'granted' as consent_ad_personalization
            from range({customers}) as r(i)
            where hash(i) % 1000 >= {int(erased_share * 1000)}""")
        con.execute("create table marts.segment_summary as select 'segment_' || s as segment "
                    f"from range({segments}) as r(s)")
        con.execute("""create table marts.segment_memberships as
            select summary.segment, customers.user_id
            from marts.segment_summary as summary cross join pii.pii_customers as customers
            where hash(summary.segment || customers.user_id) % 5 = 0""")
        con.execute("""create table marts.segment_holdouts as
            select segment, user_id, case when hash(user_id || segment) % 10 = 0
                then 'control' else 'treatment' end as holdout_group
            from marts.segment_memberships""")
        return con.execute("select count(*) from marts.segment_memberships").fetchone()[0]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--customers", type=int, default=50_000)
    parser.add_argument("--segments", type=int, default=10)
    args = parser.parse_args()
    settings = Settings(min_audience_size=100)
    with tempfile.TemporaryDirectory() as tmp:
        serving, out = Path(tmp) / "serving.duckdb", Path(tmp) / "out"
        members = build(serving, args.customers, args.segments)
        for label, erased in (("first export", 0.0), ("nothing changed", 0.0),
                              ("1 % erased", 0.01)):
            if erased:
                build(serving, args.customers, args.segments, erased)
            started = time.perf_counter()
            manifests = export_destinations(serving, out, DESTINATIONS, settings)
            elapsed = time.perf_counter() - started
            added = sum(int(r["count_added"]) for m in manifests.values() for r in m)
            removed = sum(int(r["count_removed"]) for m in manifests.values() for r in m)
            print(f"{label:16s} {args.customers:,} customers, {members:,} memberships, "
                  f"3 destinations: {elapsed:.1f} s (+{added:,} -{removed:,}); state "
                  f"{(out / '_state.duckdb').stat().st_size / 1e6:.1f} MB")


if __name__ == "__main__":
    main()
