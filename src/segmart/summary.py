"""Print a one-screen summary of a built segmart warehouse.

    python -m segmart.summary --db warehouse/segmart.duckdb

Reads the warehouse read-only after dbt has finished (DuckDB allows no reader while dbt
writes). Sections whose tables are not built yet are skipped, so the summary works at every
stage of the project.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import duckdb


def _exists(con: duckdb.DuckDBPyConnection, schema: str, table: str) -> bool:
    found = con.execute(
        "select count(*) from information_schema.tables "
        "where table_schema = ? and table_name = ?",
        [schema, table],
    ).fetchone()
    return bool(found and found[0])


def collect(con: duckdb.DuckDBPyConnection) -> dict[str, object]:
    """The figures the summary prints, as plain Python values."""
    out: dict[str, object] = {}
    if _exists(con, "intermediate", "int_as_of_resolved"):
        row = con.execute(
            "select as_of, as_of_source from intermediate.int_as_of_resolved").fetchone()
        out["as_of"] = f"{row[0]} ({row[1]})"
    if _exists(con, "marts", "user_profiles"):
        out["persons"], out["identified"], out["customers"] = con.execute(
            "select count(*), count_if(is_identified), count_if(is_customer) "
            "from marts.user_profiles").fetchone()
    if _exists(con, "marts", "data_quality_row_counts"):
        out["row_counts"] = con.execute(
            "select source_table, raw_rows, staged_rows, duplicate_rows, rejected_rows, "
            "erased_rows, reconciles from marts.data_quality_row_counts order by source_table"
        ).fetchall()
    if _exists(con, "intermediate", "int_events_stitched"):
        out["events_visible"] = con.execute(
            "select count(*) from intermediate.int_events_stitched").fetchone()[0]
    if _exists(con, "intermediate", "int_sessions_aggregated"):
        out["sessions"] = con.execute(
            "select count(*) from intermediate.int_sessions_aggregated").fetchone()[0]
    if _exists(con, "intermediate", "int_orders_aggregated"):
        out["orders"] = con.execute(
            "select count(*) from intermediate.int_orders_aggregated").fetchone()[0]
    if _exists(con, "marts", "user_features"):
        out["features"] = con.execute("select count(*) from marts.user_features").fetchone()[0]
        out["rfm_segments"] = con.execute(
            "select rfm_segment, count(*) from marts.user_features "
            "group by all order by 2 desc").fetchall()
    if _exists(con, "marts", "user_clusters"):
        out["clusters"] = con.execute(
            "select cluster_label, count(*) from marts.user_clusters "
            "group by cluster_id, cluster_label order by cluster_id").fetchall()
    if _exists(con, "marts", "segment_summary"):
        out["segments"] = con.execute(
            "select segment, count_members, share_of_persons, meets_min_members "
            "and meets_min_share from marts.segment_summary order by segment").fetchall()
    return out


def render(figures: dict[str, object]) -> str:
    """Format the figures for a terminal."""
    lines = ["", "segmart summary", "==============="]
    if "as_of" in figures:
        lines.append(f"as_of             {figures['as_of']}")
    if "persons" in figures:
        lines.append(f"persons           {figures['persons']:,} "
                     f"({figures['identified']:,} identified, "
                     f"{figures['customers']:,} CRM customers)")
    for key, label in (("events_visible", "events"), ("sessions", "sessions"),
                       ("orders", "completed orders"), ("features", "feature rows")):
        if key in figures:
            lines.append(f"{label:<17} {figures[key]:,}")
    if "row_counts" in figures:
        lines.append("")
        lines.append(f"{'landing table':<19}{'raw':>10}{'staged':>10}{'duplicates':>11}"
                     f"{'rejected':>9}{'erased':>8}  reconciles")
        for table, raw, staged, dup, rejected, erased, ok in figures["row_counts"]:
            lines.append(f"{table:<19}{raw:>10,}{staged:>10,}{dup:>11,}{rejected:>9,}"
                         f"{erased:>8,}  {'yes' if ok else 'NO'}")
    if "rfm_segments" in figures and "segments" not in figures:
        lines.append("")
        lines.append("RFM segment          persons")
        for name, count in figures["rfm_segments"]:
            lines.append(f"  {name:<19}{count:>8,}")
    if "segments" in figures:
        lines.append("")
        lines.append("segment                        members   share  big enough")
        for name, count, share, big_enough in figures["segments"]:
            lines.append(f"  {name:<29}{count:>8,}  {share:>6.1%}  {'yes' if big_enough else 'no'}")
    if "clusters" in figures:
        lines.append("")
        lines.append("cluster                        members")
        for label, count in figures["clusters"]:
            lines.append(f"  {label:<29}{count:>8,}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m segmart.summary", description=__doc__)
    parser.add_argument("--db", type=Path, default=Path("warehouse/segmart.duckdb"),
                        help="the DuckDB warehouse file dbt built")
    args = parser.parse_args(argv)
    if not args.db.exists():
        print(f"segmart: no warehouse at {args.db}; run `make demo` or `dbt build` first",
              file=sys.stderr)
        return 1
    with duckdb.connect(str(args.db), read_only=True) as con:
        print(render(collect(con)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
