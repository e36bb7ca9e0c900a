"""Destination files, audience deltas and their state (docs/activation.md).

For each destination and segment of `segment_summary`, a member is exported when, in order:
1. the segment is the first of its priority list the person belongs to (activation.yml);
2. the person is in the treatment group of `segment_holdouts` (the control group never is);
3. the destination's consent purposes are granted (segmart.activation.consent);
4. the destination can match them (an identifier it takes is valid).
Each step that leaves a member out counts them in `_manifest.csv`, so
members = left out for priority + held out + left out for consent + left out for
identifiers + exportable; written = exportable, or 0 when fewer than the destination's
minimum audience size (then only removals are sent); in state = previous + added - removed.

The state of what was last sent is one table, `audience_members` (destination, segment,
member key, the row as sent), in a small DuckDB file (default `<out>/_state.duckdb`). A run
compares the rows it would send with it and writes `<segment>.added.csv` and
`<segment>.removed.csv`; a removed row is the row exactly as it was sent (so an erased
person's removal is keyed by the hashed identifiers the platform holds), and it leaves the
state with that run. The new state is written to a fresh file and renamed over the old one
only after every destination folder is in place: a failed run leaves the previous state
(and the previous folders) untouched, and nothing deleted lingers in free pages of the file.
"""

from __future__ import annotations

import csv
import hashlib
import json
import os
import shutil
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pyarrow as pa

from segmart.activation.consent import may_export
from segmart.activation.destinations import DESTINATIONS, Contact, Destination, identifier_problem
from segmart.activation.normalise import phone_e164
from segmart.activation.settings import Settings
from segmart.publish import pii_path_beside

STATE_TABLE = "audience_members"
MANIFEST_FIELDS = [
    "segment", "status", "reason", "count_members", "count_left_out_priority",
    "count_held_out", "count_left_out_consent", "count_left_out_identifiers",
    "count_exportable", "count_written", "count_previous", "count_added", "count_removed",
    "count_in_state",
    "min_audience_size", "left_out_reasons",
]

MEMBERS_SQL = """
    select
        summary.segment,
        memberships.user_id,
        coalesce(holdouts.holdout_group, 'control') as holdout_group
    from marts.segment_summary as summary
    inner join marts.segment_memberships as memberships
        on summary.segment = memberships.segment
    left join marts.segment_holdouts as holdouts
        on memberships.segment = holdouts.segment and memberships.user_id = holdouts.user_id
    order by summary.segment, memberships.user_id
"""

CONTACTS_SQL = """
    select user_id, email, has_invalid_email, phone, first_name, last_name, postal_code,
        city, region, country, consent_email_marketing, consent_ad_user_data,
        consent_ad_personalization
    from {catalog}pii.pii_customers
"""


class ActivationError(RuntimeError):
    """The export cannot run; the message says what to fix."""


@dataclass
class Inputs:
    segments: list[str]
    members: list[tuple[str, str, str]]  # segment, user_id, holdout_group
    contacts: dict[str, Contact]


@dataclass
class SegmentPlan:
    segment: str
    rows: dict[str, dict[str, str | None]] = field(default_factory=dict)  # key -> row
    counts: Counter = field(default_factory=Counter)
    reasons: Counter = field(default_factory=Counter)


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _has_schema(con: duckdb.DuckDBPyConnection, catalog: str, schema: str) -> bool:
    return bool(con.execute(
        "select count(*) from information_schema.schemata where catalog_name = ? "
        "and schema_name = ?", [catalog, schema]).fetchone()[0])


def load_inputs(db: Path, pii: Path | None = None) -> Inputs:
    """Memberships and holdouts from the serving file `db`; identifiers and consents from
    the pii schema: of `pii` when given, else of `db` itself (a warehouse), else of the
    restricted file beside it (segmart.pii.duckdb, written by publish), else of $SEGMART_DB."""
    if not db.exists():
        raise ActivationError(f"no database at {db}: run `make build` (and `make publish`)")
    try:
        con = duckdb.connect(str(db), read_only=True)
    except duckdb.IOException as exc:
        raise ActivationError(f"cannot open {db} read-only ({exc}); export from the serving "
                              "file (`make publish`), which no build ever locks") from exc
    try:
        catalog = con.execute("select current_database()").fetchone()[0]
        candidates = [pii] if pii else [db, pii_path_beside(db)] + (
            [Path(os.environ["SEGMART_DB"])] if os.environ.get("SEGMART_DB") else [])
        source = None
        for candidate in candidates:
            if candidate == db:
                if _has_schema(con, catalog, "pii"):
                    source = ""
                    break
            elif candidate.exists():
                try:
                    con.execute(f"attach {_literal(str(candidate))} as pii_source (read_only)")
                except duckdb.IOException as exc:
                    raise ActivationError(f"cannot open {candidate} read-only ({exc}); is a "
                                          "build writing it? export after `make publish`") from exc
                if _has_schema(con, "pii_source", "pii"):
                    source = "pii_source."
                    break
                con.execute("detach pii_source")
        if source is None:
            raise ActivationError(
                f"no pii schema in {', '.join(str(c) for c in candidates)}: run `make build` "
                "(publish writes the restricted file beside the serving file)")
        try:
            members = con.execute(MEMBERS_SQL).fetchall()
            segments = [r[0] for r in con.execute(
                "select segment from marts.segment_summary order by segment").fetchall()]
            rows = con.execute(CONTACTS_SQL.format(catalog=source)).fetchall()
        except duckdb.CatalogException as exc:
            raise ActivationError(f"{db} lacks the segment marts or pii_customers ({exc}); "
                                  "run `dbt build`") from exc
    finally:
        con.close()
    contacts = {}
    for (user_id, email, invalid_email, phone, first, last, postal, city, region, country,
         c_email, c_user_data, c_personalization) in rows:
        contacts[user_id] = Contact(
            user_id=user_id, email=email, has_invalid_email=bool(invalid_email), phone=phone,
            phone_e164=phone_e164(phone, country), first_name=first, last_name=last,
            postal_code=postal, city=city, region=region, country=country,
            consents={"email_marketing": c_email, "ad_user_data": c_user_data,
                      "ad_personalization": c_personalization})
    return Inputs(segments, members, contacts)


def member_key(destination: Destination, row: dict[str, str | None]) -> str:
    """What identifies a sent row: the SHA-256 of its values in column order."""
    values = json.dumps([row.get(c) for c in destination.columns], ensure_ascii=False)
    return hashlib.sha256(values.encode()).hexdigest()


def plan_destination(destination: Destination, inputs: Inputs,
                     settings: Settings) -> dict[str, SegmentPlan]:
    """The rows each segment would send, and why every other member is left out."""
    priority = settings.priority_of()
    by_person: dict[str, list[str]] = {}
    for segment, user_id, _ in inputs.members:
        by_person.setdefault(user_id, []).append(segment)
    first_in_list: dict[tuple[str, str], str] = {}  # (user, list) -> segment
    for user_id, segments in by_person.items():
        for segment in segments:
            if segment in priority:
                name, rank = priority[segment]
                held = first_in_list.get((user_id, name))
                if held is None or priority[held][1] > rank:
                    first_in_list[(user_id, name)] = segment
    plans = {s: SegmentPlan(s) for s in inputs.segments}
    rows_of: dict[tuple[str, str | None], tuple[dict, str, str | None]] = {}
    for segment, user_id, holdout_group in inputs.members:
        plan = plans[segment]
        plan.counts["members"] += 1
        if segment in priority and first_in_list[(user_id, priority[segment][0])] != segment:
            plan.counts["left_out_priority"] += 1
            continue
        if holdout_group != "treatment":
            plan.counts["held_out"] += 1
            continue
        contact = inputs.contacts.get(user_id)
        if contact is None:  # a person without a CRM record (anonymous visitor)
            plan.counts["left_out_identifiers"] += 1
            plan.reasons["not_a_customer"] += 1
            continue
        allowed, reason = may_export(destination.purposes, contact.consents, contact.country)
        if not allowed:
            plan.counts["left_out_consent"] += 1
            plan.reasons[reason] += 1
            continue
        cache_key = (user_id, segment if "segment" in destination.columns else None)
        if cache_key not in rows_of:  # a person's row is the same in every segment
            row = destination.row(contact, segment)
            problem = identifier_problem(destination, contact, row)
            rows_of[cache_key] = (row, member_key(destination, row), problem)
        row, key, problem = rows_of[cache_key]
        if problem:
            plan.counts["left_out_identifiers"] += 1
            plan.reasons[problem] += 1
            continue
        plan.rows[key] = row
        plan.counts["exported"] += 1
    return plans


def _safe_name(segment: str) -> str:
    name = "".join(c if c.isalnum() or c in "_-" else "_" for c in segment)
    if not name:
        raise ActivationError(f"segment name {segment!r} gives no usable file name")
    return name


def _write_csv(path: Path, columns: tuple[str, ...] | list[str], rows) -> None:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(columns)
        for row in rows:
            writer.writerow(["" if row.get(c) is None else row[c] for c in columns])


def read_state(path: Path) -> dict[tuple[str, str], dict[str, str]]:
    """(destination, segment) -> {member key: row as sent (JSON)}."""
    state: dict[tuple[str, str], dict[str, str]] = {}
    if not path.exists():
        return state
    with duckdb.connect(str(path), read_only=True) as con:
        for destination, segment, key, row in con.execute(
                f"select destination, segment, member_key, row_json from {STATE_TABLE}"
        ).fetchall():
            state.setdefault((destination, segment), {})[key] = row
    return state


def _write_state(path: Path, state: dict[tuple[str, str], dict[str, str]]) -> None:
    """Write the whole state to a fresh file (renamed over the old one by the caller)."""
    for leftover in (path, path.with_name(path.name + ".wal")):
        leftover.unlink(missing_ok=True)
    with duckdb.connect(str(path)) as con:
        # stored uncompressed (a few MB at most), so the file's bytes can be searched: an audit
        # (and the tests) can show that an erased person's identifiers are gone from it
        con.execute("set force_compression = 'uncompressed'")
        con.execute(f"create table {STATE_TABLE} (destination varchar not null, "
                    "segment varchar not null, member_key varchar not null, "
                    "row_json varchar not null, primary key (destination, segment, member_key))")
        rows = [(d, s, k, r) for (d, s), members in sorted(state.items())
                for k, r in sorted(members.items())]
        if rows:
            # one Arrow table, not executemany: 250,000 rows in a second instead of minutes
            columns = list(zip(*rows, strict=True))
            table = pa.table({name: pa.array(values, pa.string()) for name, values in zip(
                ("destination", "segment", "member_key", "row_json"), columns, strict=True)})
            con.register("new_state", table)
            con.execute(f"insert into {STATE_TABLE} select * from new_state")
            con.unregister("new_state")
        con.execute("checkpoint")


def export_destinations(db: Path, out: Path, destinations: list[str], settings: Settings,
                        state_path: Path | None = None, pii: Path | None = None,
                        progress=None, _fail_after_files: bool = False
                        ) -> dict[str, list[dict[str, object]]]:
    """Write <out>/<destination>/<segment>.csv (+ .added.csv, .removed.csv, _manifest.csv)
    for each destination; return the manifest rows per destination."""
    say = progress or (lambda _msg: None)
    unknown = [d for d in destinations if d not in DESTINATIONS]
    if unknown or not destinations:
        raise ActivationError(f"--destination must be one or more of "
                              f"{', '.join(DESTINATIONS)} (or all), not {','.join(unknown)}")
    inputs = load_inputs(db, pii)
    out.mkdir(parents=True, exist_ok=True)
    state_path = state_path or out / "_state.duckdb"
    previous_state = read_state(state_path)
    new_state = {k: dict(v) for k, v in previous_state.items()
                 if k[0] not in destinations}
    pid = os.getpid()
    staged: list[tuple[Path, Path]] = []
    manifests: dict[str, list[dict[str, object]]] = {}
    new_state_file = state_path.with_name(f".{state_path.name}.{pid}.tmp")
    try:
        for name in destinations:
            destination = DESTINATIONS[name]
            minimum = settings.min_size(name)
            plans = plan_destination(destination, inputs, settings)
            folder = out / name
            staging = out / f".{name}.{pid}.tmp"
            shutil.rmtree(staging, ignore_errors=True)
            staging.mkdir()
            staged.append((staging, folder))
            gone = sorted({s for (d, s) in previous_state if d == name} - set(plans))
            manifest = []
            for segment in sorted(set(plans) | set(gone)):
                plan = plans.get(segment, SegmentPlan(segment))
                before = previous_state.get((name, segment), {})
                removed = {k: r for k, r in before.items() if k not in plan.rows}
                exported = plan.counts["exported"]
                if segment in gone:
                    status, reason = "segment_removed", "segment no longer built: all removed"
                    added: dict[str, dict] = {}
                    after = {}
                elif exported < minimum:
                    status = "below_minimum"
                    reason = (f"{exported} exportable < minimum audience size {minimum}: "
                              "not written; removals still sent")
                    added = {}
                    after = {k: r for k, r in before.items() if k in plan.rows}
                else:
                    status, reason = "written", ""
                    added = {k: r for k, r in plan.rows.items() if k not in before}
                    after = {k: json.dumps(r, ensure_ascii=False, sort_keys=True)
                             for k, r in plan.rows.items()}
                    _write_csv(staging / f"{_safe_name(segment)}.csv", destination.columns,
                               [plan.rows[k] for k in sorted(plan.rows)])
                _write_csv(staging / f"{_safe_name(segment)}.added.csv", destination.columns,
                           [added[k] for k in sorted(added)])
                _write_csv(staging / f"{_safe_name(segment)}.removed.csv", destination.columns,
                           [json.loads(removed[k]) for k in sorted(removed)])
                if after:
                    new_state[(name, segment)] = after
                manifest.append({
                    "segment": segment, "status": status, "reason": reason,
                    "count_members": plan.counts["members"],
                    "count_left_out_priority": plan.counts["left_out_priority"],
                    "count_held_out": plan.counts["held_out"],
                    "count_left_out_consent": plan.counts["left_out_consent"],
                    "count_left_out_identifiers": plan.counts["left_out_identifiers"],
                    "count_exportable": exported,
                    "count_written": exported if status == "written" else 0,
                    "count_previous": len(before),
                    "count_added": len(added), "count_removed": len(removed),
                    "count_in_state": len(after), "min_audience_size": minimum,
                    "left_out_reasons": "; ".join(f"{k}={v}" for k, v
                                                  in sorted(plan.reasons.items())),
                })
            _write_csv(staging / "_manifest.csv", MANIFEST_FIELDS, manifest)
            manifests[name] = manifest
            say(f"{name}: {sum(int(r['count_written']) for r in manifest):,} written, "
                f"+{sum(int(r['count_added']) for r in manifest):,} "
                f"-{sum(int(r['count_removed']) for r in manifest):,} "
                f"in {len(manifest)} segments")
        if _fail_after_files:  # tests: a run that dies after writing its files
            raise ActivationError("simulated failure before the state is saved")
        _write_state(new_state_file, new_state)
        for staging, folder in staged:
            old = folder.with_name(f".{folder.name}.{pid}.old")
            if folder.exists():
                folder.rename(old)
            staging.rename(folder)
            shutil.rmtree(old, ignore_errors=True)
        os.replace(new_state_file, state_path)
    except BaseException:
        for staging, _ in staged:
            shutil.rmtree(staging, ignore_errors=True)
        raise
    finally:
        for leftover in (new_state_file, new_state_file.with_name(new_state_file.name + ".wal")):
            leftover.unlink(missing_ok=True)
    return manifests
