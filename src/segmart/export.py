"""Activation files: per destination (ad platforms, an e-mail tool), or the salted legacy files.

    python -m segmart.export --destination all --db serving/segmart.duckdb --out exports
    python -m segmart.export --destination google_customer_match --db ... --out ...

With --destination (google_customer_match, meta_custom_audience, email, a comma-separated
list, or all) each destination gets `<out>/<destination>/<segment>.csv` normalised and
hashed by the platform's own rules, `<segment>.added.csv` and `<segment>.removed.csv`
against the state of the last run (`<out>/_state.duckdb`, or --state), and `_manifest.csv`.
Consent per purpose, priority lists and minimum audience sizes apply (activation.yml);
the rules and their sources are in segmart.activation and docs/activation.md. Identifiers
come from the restricted file publish writes beside the serving file (`<name>.pii.duckdb`),
or from the pii schema of --db when it is a warehouse, or of $SEGMART_DB (or --pii).

Without --destination, the legacy export (kept for existing jobs):

    python -m segmart.export --db serving/segmart.duckdb --out exports --format parquet,csv

Each segment of `segment_summary` gets `exports/<segment>.parquet` (and/or `.csv`), empty
segments included, so a campaign tool never reads last week's file for a segment that
emptied. A file lists a member only when

- `can_contact` is true in `segment_memberships` (marketing consent in the CRM), and
- the member is in the treatment group of `segment_holdouts` (the control group is held
  out of every campaign, or the experiment results would mean nothing).

Columns: segment, user_id, email_sha256 (salted, as in the marts; never a raw e-mail),
as_of. `_manifest.csv` lists every file with its row count and the members left out for
consent and for the holdout. The whole folder is written beside the old one and swapped in,
so a reader never sees a mix of two builds.
"""

from __future__ import annotations

import argparse
import csv
import os
import shutil
import sys
import time
from pathlib import Path

import duckdb

from segmart.activation.audiences import ActivationError, export_destinations
from segmart.activation.destinations import DESTINATIONS
from segmart.activation.settings import SettingsError, load_settings

FORMATS = ("parquet", "csv")

MEMBERS_SQL = """
    select
        m.segment,
        m.user_id,
        p.email_sha256,
        m.as_of
    from marts.segment_memberships as m
    inner join marts.segment_holdouts as h
        on m.segment = h.segment and m.user_id = h.user_id
    left join marts.user_profiles as p
        on m.user_id = p.user_id
    where m.can_contact
      and h.holdout_group = 'treatment'
      and m.segment = $segment
    order by m.user_id
"""

COUNTS_SQL = """
    select
        s.segment,
        count(m.user_id) as count_members,
        coalesce(count_if(not m.can_contact), 0) as count_without_consent,
        coalesce(count_if(m.can_contact and h.holdout_group = 'control'), 0) as count_held_out,
        coalesce(count_if(m.can_contact and h.holdout_group = 'treatment'), 0)
            as count_exported
    from marts.segment_summary as s
    left join marts.segment_memberships as m
        on s.segment = m.segment
    left join marts.segment_holdouts as h
        on m.segment = h.segment and m.user_id = h.user_id
    group by s.segment
    order by s.segment
"""


class ExportError(RuntimeError):
    """The export cannot run; the message says what to fix."""


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _safe_name(segment: str) -> str:
    name = "".join(c if c.isalnum() or c in "_-" else "_" for c in segment)
    if not name:
        raise ExportError(f"segment name {segment!r} gives no usable file name")
    return name


def export(db: Path, out: Path, formats: tuple[str, ...] = FORMATS,
           progress=None) -> list[dict[str, object]]:
    """Write the files; return one manifest row per segment."""
    say = progress or (lambda _msg: None)
    unknown = [f for f in formats if f not in FORMATS]
    if unknown or not formats:
        raise ExportError(f"--format must be a comma-separated subset of {','.join(FORMATS)}, "
                          f"not {','.join(formats) or 'nothing'}")
    if not db.exists():
        raise ExportError(f"no database at {db}: run `make build` (and `make publish`) first")
    try:
        con = duckdb.connect(str(db), read_only=True)
    except duckdb.IOException as exc:
        raise ExportError(f"cannot open {db} read-only ({exc}); export from the serving file "
                          "(`make publish`), which no build ever locks") from exc
    staging = out.with_name(f".{out.name}.{os.getpid()}.tmp")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    manifest: list[dict[str, object]] = []
    try:
        try:
            counts = con.execute(COUNTS_SQL).fetchall()
        except duckdb.CatalogException as exc:
            raise ExportError(f"{db} lacks the segment marts ({exc}); run `dbt build`") from exc
        for number, (segment, members, no_consent, held_out, exported) in enumerate(counts, 1):
            name = _safe_name(segment)
            members_sql = MEMBERS_SQL.replace("$segment", _literal(segment))
            files = []
            for fmt in formats:
                path = staging / f"{name}.{fmt}"
                options = "(format parquet)" if fmt == "parquet" else "(format csv, header)"
                con.execute(f"copy ({members_sql}) to {_literal(str(path))} {options}")
                files.append(path.name)
            manifest.append({"segment": segment, "files": " ".join(files),
                             "count_members": members, "count_without_consent": no_consent,
                             "count_held_out": held_out, "count_exported": exported})
            say(f"[{number}/{len(counts)}] {segment}: {exported:,} of {members:,} members "
                f"({no_consent:,} without consent, {held_out:,} held out)")
        _write_manifest(staging / "_manifest.csv", manifest)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    finally:
        con.close()
    previous = out.with_name(f".{out.name}.{os.getpid()}.old")
    if out.exists():
        out.rename(previous)
    staging.rename(out)
    shutil.rmtree(previous, ignore_errors=True)
    return manifest


def _write_manifest(path: Path, rows: list[dict[str, object]]) -> None:

    fields = ["segment", "files", "count_members", "count_without_consent", "count_held_out",
              "count_exported"]
    with path.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=fields)
        writer.writeheader()
        writer.writerows(rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m segmart.export", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", type=Path, default=Path("serving/segmart.duckdb"),
                        help="the published serving file (or a warehouse no build is writing)")
    parser.add_argument("--out", type=Path, default=Path("exports"))
    parser.add_argument("--format", default="parquet,csv",
                        help="legacy export only: comma-separated parquet, csv (default both)")
    parser.add_argument("--destination",
                        help=f"{', '.join(DESTINATIONS)}, a comma-separated list, or all")
    parser.add_argument("--state", type=Path,
                        help="the state DuckDB file (default <out>/_state.duckdb)")
    parser.add_argument("--pii", type=Path,
                        help="where pii.pii_customers is (default: --db itself if it has "
                             "schema pii, else <db>.pii.duckdb beside it, else $SEGMART_DB)")
    parser.add_argument("--config", type=Path, default=Path("activation.yml"),
                        help="priority lists and minimum audience sizes")
    parser.add_argument("--min-audience-size", type=int,
                        help="overrides activation.yml for every destination")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    if args.destination:
        return _main_destinations(args, started)
    formats = tuple(f.strip() for f in args.format.split(",") if f.strip())
    try:
        manifest = export(args.db, args.out, formats, progress=print)
    except ExportError as exc:
        print(f"segmart export: {exc}", file=sys.stderr)
        return 1
    exported = sum(int(r["count_exported"]) for r in manifest)
    members = sum(int(r["count_members"]) for r in manifest)
    print(f"\nexported {exported:,} contactable treatment-group memberships of {members:,} "
          f"in {len(manifest)} segments to {args.out}/ "
          f"({time.perf_counter() - started:.1f} s); manifest: {args.out}/_manifest.csv")
    return 0


def _main_destinations(args, started: float) -> int:
    names = (list(DESTINATIONS) if args.destination.strip() == "all"
             else [d.strip() for d in args.destination.split(",") if d.strip()])
    try:
        settings = load_settings(args.config)
        if args.min_audience_size is not None:
            if args.min_audience_size < 1:
                raise SettingsError("--min-audience-size must be at least 1")
            settings = type(settings)(args.min_audience_size, {}, settings.priority_lists)
        manifests = export_destinations(args.db, args.out, names, settings,
                                        state_path=args.state, pii=args.pii, progress=print)
    except (ActivationError, SettingsError) as exc:
        print(f"segmart export: {exc}", file=sys.stderr)
        return 1
    print(f"\nexported {len(manifests)} destinations to {args.out}/ "
          f"({time.perf_counter() - started:.1f} s); manifests: "
          f"{', '.join(f'{args.out}/{d}/_manifest.csv' for d in manifests)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
