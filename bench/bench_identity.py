"""Benchmark identity resolution in dbt: 1 M CRM records and 10 M events, graph plus linkage.

    .venv/bin/python bench/bench_identity.py                   # 235 k persons, 1 M CRM records
    .venv/bin/python bench/bench_identity.py --users 20000 --crm-records 50000

Generates a landing zone (`segmart.generate`, default CRM duplicate and near-miss shares,
about 42 events per person) and tops the CRM up to --crm-records with CRM-only records of
its own (ids `x…`, unique e-mails and valid phones no generated person holds, the
generator's first names and a Zipf-weighted pool of surnames, or with --names generator its
ten; 3 % of them again as `y…` with the e-mail in another case). It builds
everything upstream of the identity marts once, then times the identity nodes alone twice:
with `segmart_identity_retrain: true` (splink trains) and with the stored parameters. Each
phase prints wall time, the dbt process's peak RSS and every node's time (run_results.json);
then the counts (CRM records, links by matched_by, persons merged, refusals by rule) and
the pairs each splink blocking rule asks for. Asserts nothing: the machine is shared.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from segmart.generate import TIME_ZONES, Config, Generator
from segmart.generate_contacts import (
    FIRST_NAMES,
    LAST_NAMES,
    US_STATES,
    _number_plan,
    phone_for,
)
from segmart.generate_identities import CITIES, MAIL_DOMAINS, pad, recase
from segmart.identity.linkage import (
    DEFAULT_MAX_RECORDS_PER_BLOCK,
    DEFAULT_MAX_RECORDS_PER_VALUE,
)

ROOT = Path(__file__).resolve().parents[1]
DBT = Path(sys.executable).parent / "dbt"
IDENTITY_NODES = ("pii_crm_linkage_records", "pii_crm_linkage_parameters",
                  "pii_crm_record_matches", "int_identity_crm_identifiers",
                  "int_identity_links", "int_identity_persons", "int_identity_person_values",
                  "int_identity_map", "person_identifiers", "identity_merge_audit")
# models and seeds only (the data tests are not what is timed), and not the identity nodes:
# the timed phases build them
UPSTREAM = ["build", "-s", "+person_identifiers", "+identity_merge_audit",
            "--exclude", *IDENTITY_NODES,
            "--exclude-resource-type", "test", "--exclude-resource-type", "unit_test"]
#: the share of top-up records written again with the e-mail in another case
TOP_UP_DUPLICATE_SHARE = 0.03
#: splink's blocking rules for prediction (segmart.identity.linkage); an e-mail or phone on
#: more than DEFAULT_MAX_RECORDS_PER_VALUE records is not compared, and a name block of more
#: than DEFAULT_MAX_RECORDS_PER_BLOCK records is not scored
BLOCKING_RULES = {"phone_e164": ("phone_e164",), "email": ("email",),
                  "last_name, birth_year": ("last_name", "birth_year"),
                  "postal_code, first_name": ("postal_code", "first_name")}

# Runs one command and reports its peak RSS (ru_maxrss of its children), so every phase is
# measured on its own.
MEASURE = """
import resource, subprocess, sys, json
code = subprocess.run(sys.argv[1:]).returncode
print(json.dumps({"rc": code,
                  "peak_kb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss}))
"""


def _env(raw: Path, db: Path, work: Path, project: Path) -> dict[str, str]:
    # the project's own src first, so a copy of the tree runs its own Python models
    path = os.pathsep.join(p for p in (str(project / "src"), os.environ.get("PYTHONPATH"))
                           if p)
    return {**os.environ, "PYTHONPATH": path, "SEGMART_RAW_DIR": str(raw),
            "SEGMART_DB": str(db), "SEGMART_TARGET": "dev", "DBT_PROFILES_DIR": str(project),
            "DBT_TARGET_PATH": str(work / "target"), "DBT_LOG_PATH": str(work / "logs"),
            "DO_NOT_TRACK": "1", "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}


def generate(users: int, raw: Path) -> dict:
    print(f"generating {users:,} persons into {raw}/ ...", flush=True)
    started = time.perf_counter()
    manifest = Generator(Config(users=users), raw, progress=False).run()
    print(f"  {manifest['rows']['events']:,} events, {manifest['rows']['customers']:,} "
          f"customer rows in {time.perf_counter() - started:.1f} s", flush=True)
    return manifest


def _gb_postcode(rng: np.random.Generator, n: int) -> np.ndarray:
    """Postcodes of the UK's shape (outward code, space, digit and two letters)."""
    areas = np.array(["M", "B", "L", "G", "S", "N", "E", "W", "EH", "LS", "CF", "BS", "NG"])
    letters = np.array(list("ABDEFGHJLNPQRSTUWXYZ"))
    outward = np.char.add(rng.choice(areas, n), rng.integers(1, 30, n).astype(str))
    inward = np.char.add(np.char.add(rng.integers(0, 10, n).astype(str),
                                     rng.choice(letters, n)), rng.choice(letters, n))
    return np.char.add(np.char.add(outward, " "), inward).astype(object)


def varied_last_names(rng: np.random.Generator, n: int) -> np.ndarray:
    """Surnames as a real CRM has them: a pool of 20,000 (three syllables), drawn with
    Zipf-like weights, so a few are common and most rare (as bench_linkage.py draws them)."""
    syllables = np.array(["an", "be", "ca", "da", "el", "fi", "go", "ha", "is", "jo", "ka",
                          "li", "mo", "na", "or", "pe", "ri", "sa", "te", "ul", "va", "wi",
                          "ya", "zo"])
    parts = rng.choice(syllables, size=(20_000, 3))
    pool = np.unique(np.array(["".join(row).capitalize() for row in parts]))
    weights = 1.0 / np.arange(1, len(pool) + 1) ** 0.7
    return rng.choice(pool, size=n, p=weights / weights.sum())


def top_up_records(n: int, users: int, end: pd.Timestamp, schema: pa.Schema,
                   seed: int = 27, names: str = "varied") -> pa.Table:
    """n CRM-only records (no events): about 1 - 3 % originals `x<k>` and 3 % of them again
    as `y<k>` with the e-mail in another case, in the generator's customers schema.

    Phones come from the generator's numbering: a generated person p holds number p and a
    near-miss of p holds 10**free - 1 - p, so the k-th top-up of a country takes number
    users + k, which neither holds while it stays below 10**free - users."""
    rng = np.random.default_rng(seed)
    originals = round(n / (1 + TOP_UP_DUPLICATE_SHARE))
    zone_weights = np.array([w for _, _, w in TIME_ZONES])
    zone = rng.choice(len(TIME_ZONES), originals, p=zone_weights / zone_weights.sum())
    country = np.array([c for _, c, _ in TIME_ZONES])[zone]
    first = rng.choice(FIRST_NAMES, originals)
    last = (rng.choice(LAST_NAMES, originals) if names == "generator"
            else varied_last_names(rng, originals))
    phones = np.empty(originals, dtype=object)
    national = rng.random(originals) < 0.6
    for code in np.unique(country):
        rows = np.flatnonzero(country == code)
        free = _number_plan(str(code))[2]
        if users + len(rows) >= 10 ** free - users:
            sys.exit(f"bench: {len(rows):,} top-up phones for {code} would collide with "
                     f"generated ones ({free} free digits); ask for fewer records")
        for k, row in enumerate(rows):
            pair = phone_for(str(code), users + k)
            phones[row] = pair[0] if national[row] else pair[1]
    phones[rng.random(originals) < 0.1] = None
    slugs = {name: re.sub(r"[^a-z]", "", name.lower().encode("ascii", "ignore").decode())
             for name in {*FIRST_NAMES, *last}}
    domains = rng.choice(MAIL_DOMAINS, originals)
    signup = (end - pd.to_timedelta(rng.integers(1, 730 * 86_400, originals), unit="s"))
    postal = np.array([f"{z:05d}" for z in rng.integers(10000, 99999, originals)], dtype=object)
    postal[country == "GB"] = _gb_postcode(rng, int((country == "GB").sum()))
    consent = rng.random(originals) < 0.7
    frame = pd.DataFrame({
        "user_id": [f"x{k:08d}" for k in range(originals)],
        "email": [f"{slugs[f]}.{slugs[s]}.x{k}@{d}"
                  for k, (f, s, d) in enumerate(zip(first, last, domains, strict=True))],
        "signup_at": signup.astype("datetime64[ms]"),
        "birth_year": rng.integers(1950, 2006, originals).astype(np.int32),
        "gender": rng.choice(["female", "male", "other", "unknown"], originals,
                             p=[0.48, 0.47, 0.02, 0.03]),
        "income_band": rng.choice(["low", "middle", "high"], originals),
        "occupation": rng.choice(["student", "employed", "self_employed", "retired", "other"],
                                 originals),
        "city": rng.choice(np.array(CITIES), originals),
        "country": country,
        "timezone": np.array([name for name, _, _ in TIME_ZONES])[zone],
        "marketing_consent": consent,
        "consent_updated_at": signup.astype("datetime64[ms]"),
        "updated_at": signup.astype("datetime64[ms]"),
        "phone": phones,
        "first_name": first,
        "last_name": last,
        "postal_code": postal,
        "region": np.where(country == "US", rng.choice(US_STATES, originals), None),
        "consent_email_marketing": np.where(consent, "granted", "denied"),
        "consent_email_marketing_updated_at": signup.astype("datetime64[ms]"),
        "consent_ad_user_data": np.where(rng.random(originals) < 0.75, "granted", "denied"),
        "consent_ad_user_data_updated_at": signup.astype("datetime64[ms]"),
        "consent_ad_personalization": np.where(rng.random(originals) < 0.7, "granted",
                                               "denied"),
        "consent_ad_personalization_updated_at": signup.astype("datetime64[ms]"),
    })
    # the same customer again: the e-mail in another case with whitespace, a later sign-up
    again = frame.sample(n=n - originals, random_state=seed).copy()
    again["user_id"] = "y" + again["user_id"].str[1:]
    again["email"] = [pad(recase(e, rng), rng) for e in again["email"]]
    later = again["signup_at"] + pd.to_timedelta(rng.integers(1, 30 * 86_400, len(again)),
                                                 unit="s")
    for column in ("signup_at", "updated_at", "consent_updated_at",
                   "consent_email_marketing_updated_at", "consent_ad_user_data_updated_at",
                   "consent_ad_personalization_updated_at"):
        again[column] = later.clip(upper=end - pd.Timedelta(seconds=1))
    frame = pd.concat([frame, again], ignore_index=True)
    return pa.Table.from_pandas(frame[schema.names], schema=schema, preserve_index=False)


def top_up(raw: Path, target: int, users: int, names: str) -> int:
    """Write customers/part-topup.parquet so the CRM holds `target` distinct user_ids."""
    files = sorted((raw / "customers").glob("*.parquet"))
    have = duckdb.sql(f"select count(distinct user_id) from read_parquet("
                      f"'{raw}/customers/*.parquet')").fetchall()[0][0]
    if target <= have:
        print(f"  the CRM already holds {have:,} records; no top-up", flush=True)
        return have
    schema = pq.read_schema(files[0])
    end = pd.Timestamp(Config().end)
    started = time.perf_counter()
    table = top_up_records(target - have, users, end, schema, names=names)
    pq.write_table(table, raw / "customers" / "part-topup.parquet", compression="zstd")
    print(f"  topped the CRM up from {have:,} to {have + table.num_rows:,} records in "
          f"{time.perf_counter() - started:.1f} s", flush=True)
    return have + table.num_rows


def run_phase(name: str, args: list[str], raw: Path, db: Path, work: Path,
              project: Path) -> dict:
    print(f"  {name}: dbt {' '.join(args)}", flush=True)
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", MEASURE, str(DBT), *args],
                          env=_env(raw, db, work, project), capture_output=True, text=True,
                          cwd=project,
                          check=False)
    wall = time.perf_counter() - started
    figures = json.loads(done.stdout.strip().splitlines()[-1])
    if figures["rc"] != 0:
        sys.exit(f"bench: dbt failed in phase {name}; see {work / 'logs' / 'dbt.log'}\n"
                 f"{done.stdout[-3000:]}")
    results = json.loads((work / "target" / "run_results.json").read_text())
    shutil.copy(work / "target" / "run_results.json",
                work / f"run_results_{name.replace(' ', '_')}.json")
    nodes = {r["unique_id"].split(".")[-1]: r["execution_time"] for r in results["results"]}
    slowest = sorted(nodes.items(), key=lambda item: -item[1])[:3]
    print(f"    {wall:.1f} s, peak {figures['peak_kb'] / 1024:,.0f} MB; slowest: "
          + ", ".join(f"{node} {secs:.1f} s" for node, secs in slowest), flush=True)
    return {"phase": name, "wall_s": wall, "peak_mb": figures["peak_kb"] / 1024,
            "nodes": nodes}


def _relation(con: duckdb.DuckDBPyConnection, name: str) -> str:
    schema = con.execute("select table_schema from information_schema.tables "
                         "where table_name = ?", [name]).fetchall()
    if not schema:
        sys.exit(f"bench: no relation {name} in the warehouse")
    return f'"{schema[0][0]}"."{name}"'


def counts(db: Path) -> dict:
    con = duckdb.connect(str(db), read_only=True)
    rel = {name: _relation(con, name) for name in
           ("pii_crm_linkage_records", "int_identity_links", "int_identity_persons",
            "identity_merge_audit", "pii_crm_record_matches")}
    out = {"crm_records": con.execute(
        f"select count(*) from {rel['pii_crm_linkage_records']}").fetchall()[0][0]}
    out["matches"] = con.execute(
        f"select count(*) from {rel['pii_crm_record_matches']}").fetchall()[0][0]
    out["links"] = dict(con.execute(
        f"select case when matched_by like 'probabilistic:%' then 'probabilistic' "
        f"else matched_by end, count(*) from {rel['int_identity_links']} "
        f"group by all order by 1").fetchall())
    out["persons"] = con.execute(
        f"with sizes as (select person_id, count(*) as n from {rel['int_identity_persons']} "
        f"where not is_over_limit group by all) "
        f"select count(*), count_if(n > 1), sum(n) filter (where n > 1), max(n) "
        f"from sizes").fetchall()[0]
    out["over_limit_records"] = con.execute(
        f"select count_if(is_over_limit) from {rel['int_identity_persons']}").fetchall()[0][0]
    out["refused"] = dict(con.execute(
        f"select merge_rule, count(*) from {rel['identity_merge_audit']} "
        f"where outcome = 'refused' "
        f"group by all order by 2 desc").fetchall())
    out["merged"] = dict(con.execute(
        f"select merge_rule, count(*) from {rel['identity_merge_audit']} "
        f"where outcome = 'merged' "
        f"group by all order by 2 desc").fetchall())
    # the pairs each prediction rule blocks (before splink removes the ones an earlier
    # rule already made): what the scoring costs grows with these
    out["blocked_pairs"] = {}
    for label, columns in BLOCKING_RULES.items():
        keys = ", ".join(columns)
        present = " and ".join(f"{c} is not null" for c in columns)
        cap = (f"having count(*) <= {DEFAULT_MAX_RECORDS_PER_VALUE}" if len(columns) == 1
               else f"having count(*) <= {DEFAULT_MAX_RECORDS_PER_BLOCK}")
        out["blocked_pairs"][label] = con.execute(
            f"with blocks as (select count(*) as n from {rel['pii_crm_linkage_records']} "
            f"where {present} group by {keys} {cap}) "
            f"select coalesce(sum(n * (n - 1) / 2), 0)::bigint, coalesce(max(n), 0) "
            f"from blocks").fetchall()[0]
    con.close()
    return out


def render(phases: list[dict]) -> str:
    """A markdown table: node seconds per phase, then the wall time and peak RSS."""
    lines = ["| node | " + " | ".join(p["phase"] for p in phases) + " |",
             "| --- |" + " --- |" * len(phases)]
    for node in IDENTITY_NODES:
        lines.append(f"| {node} | " + " | ".join(
            f"{p['nodes'].get(node, float('nan')):.1f}" for p in phases) + " |")
    lines.append("| sum of nodes | " + " | ".join(
        f"{sum(p['nodes'].values()):.1f}" for p in phases) + " |")
    lines.append("| **wall (dbt start to end)** | " + " | ".join(
        f"**{p['wall_s']:.1f}**" for p in phases) + " |")
    lines.append("| peak RSS of dbt (MB) | " + " | ".join(
        f"{p['peak_mb']:,.0f}" for p in phases) + " |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--users", type=int, default=235_000,
                        help="persons generated (about 42 events each; default 235 k)")
    parser.add_argument("--crm-records", type=int, default=1_000_000,
                        help="CRM records after the top-up (default 1 M)")
    parser.add_argument("--names", choices=("varied", "generator"), default="varied",
                        help="the top-up's surnames: a Zipf-weighted pool of 20,000 "
                             "(default), or the generator's ten, which make blocks of "
                             "thousands of records per surname and birth year at 1 M")
    parser.add_argument("--threads", type=int,
                        default=int(os.environ.get("SEGMART_THREADS", "2")))
    parser.add_argument("--work", type=Path, default=Path("/tmp/segmart-bench-identity"))
    parser.add_argument("--project", type=Path, default=ROOT,
                        help="the dbt project to run (default this checkout; a copy such as "
                             "`git archive HEAD | tar -x -C DIR` keeps edits made during the "
                             "run out of it)")
    parser.add_argument("--keep", action="store_true", help="keep the work directory")
    args = parser.parse_args(argv)
    raw, db = args.work / "raw", args.work / "bench.duckdb"
    shutil.rmtree(args.work, ignore_errors=True)
    args.work.mkdir(parents=True)
    manifest = generate(args.users, raw)
    top_up(raw, args.crm_records, args.users, args.names)
    threads = ["--threads", str(args.threads)]
    project = args.project.resolve()
    run_phase("upstream", [*UPSTREAM, *threads], raw, db, args.work, project)
    timed = ["run", "-s", *IDENTITY_NODES, *threads]
    phases = [run_phase("retrain", [*timed, "--vars", "{segmart_identity_retrain: true}"],
                        raw, db, args.work, project),
              run_phase("stored parameters", timed, raw, db, args.work, project)]
    found = counts(db)
    persons, merged, records_merged, largest = found["persons"]
    print(f"\n{manifest['rows']['events']:,} events landed, {args.users:,} persons generated, "
          f"{found['crm_records']:,} CRM records (not erased), dbt threads {args.threads}, "
          f"{os.cpu_count()} cores\n")
    print(render(phases))
    print(f"\nsplink pairs at or above the threshold: {found['matches']:,}")
    print(f"links by matched_by: {found['links']}")
    print(f"persons: {persons:,} (of records within the limit); {merged:,} merged from "
          f"{records_merged or 0:,} records, the largest {largest}; "
          f"{found['over_limit_records']:,} records in components over the user_id limit")
    print(f"merges by rule: {found['merged']}")
    print(f"refused edges by rule: {found['refused']}")
    print("blocked pairs per splink prediction rule (pairs, largest block): "
          + ", ".join(f"{k} {v[0]:,} ({v[1]:,})" for k, v in found["blocked_pairs"].items()))
    if not args.keep:
        shutil.rmtree(args.work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
