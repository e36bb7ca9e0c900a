"""Benchmark pii_phone_numbers' parse: every phone parsed, against a build that reuses the
previous build's parses (phone_key) with a share of the phones changed.

    .venv/bin/python bench/bench_phones.py                 # 240,000 customers (10 M events)
    .venv/bin/python bench/bench_phones.py --customers 1000000

Phones are the generator's (national and international formats over its countries). Each
case is timed in this one process, one after the other; prints the figures, asserts
nothing (the machines are shared and noisy).
"""

from __future__ import annotations

import argparse
import time

import duckdb
import numpy as np
import pandas as pd

from segmart.generate_contacts import phone_for
from segmart.identity.phones import PHONE_KEY_SQL, phone_numbers_table

COUNTRIES = ("GB", "DE", "FR", "US", "IN", "BR", "JP", "ES")


def customers(n: int, changed_share: float = 0.0, seed: int = 1) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    countries = rng.choice(COUNTRIES, n)
    national = rng.random(n) < 0.5
    moved = rng.random(n) < changed_share
    phones = []
    for k, (country, as_national, new) in enumerate(zip(countries, national, moved,
                                                        strict=True)):
        text_national, text_e164 = phone_for(country, k + (n if new else 0))
        phones.append(text_national if as_national else text_e164)
    frame = pd.DataFrame({"user_id": [f"u{k}" for k in range(n)], "phone": phones,
                          "country": countries})
    with duckdb.connect() as con:
        con.register("frame", frame)
        return con.execute(f"select *, {PHONE_KEY_SQL} as phone_key from frame").df()


def timed(label: str, function, *args, **kwargs):
    started = time.perf_counter()
    result = function(*args, **kwargs)
    print(f"| {label} | {time.perf_counter() - started:.2f} |", flush=True)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=240_000)
    args = parser.parse_args()
    first = customers(args.customers)
    later = customers(args.customers, changed_share=0.01)
    print(f"{args.customers:,} customers with a phone\n\n| case | seconds |\n| --- | --- |")
    built = timed("first build: every phone parsed", phone_numbers_table, first)
    timed("nothing changed: previous parses reused", phone_numbers_table, first, built)
    again = timed("1 % of phones changed", phone_numbers_table, later, built)
    every = phone_numbers_table(later)
    same = (again["user_id"].equals(every["user_id"])
            and again["phone_e164"].fillna("-").equals(every["phone_e164"].fillna("-")))
    print(f"\nreused parses equal a parse of everything: {bool(same)}")


if __name__ == "__main__":
    main()
