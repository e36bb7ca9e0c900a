"""Build the segment dashboard: one static HTML page of plotly charts, from the serving file.

    python -m segmart.dashboard --db serving/segmart.duckdb --out dashboard [--serve --port 8050]

Every chart is a SQL query on the published `marts` schema (QUERIES below), so an analyst
changes a chart by changing SQL. The page is rebuilt from the serving file, never from the
warehouse dbt is writing, and needs nothing but a browser: plotly.js is written beside it,
no CDN is contacted. `--serve` then serves the folder on localhost.
"""

from __future__ import annotations

import argparse
import html
import http.server
import os
import sys
import time
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import duckdb
import pandas as pd

# how many persons the PCA scatter draws (a seeded sample; the page stays light)
SCATTER_POINTS = 4000

QUERIES: dict[str, str] = {
    "headline": """
        select
            (select max(as_of) from marts.segment_summary) as as_of,
            (select max(count_persons) from marts.segment_summary) as count_persons,
            (select count(*) from marts.segment_summary where count_members > 0)
                as count_segments_with_members,
            (select count(*) from marts.segment_memberships) as count_memberships,
            (select count(*) from marts.segment_memberships where can_contact)
                as count_contactable
    """,
    "segment_sizes": """
        select segment, count_members, count_contactable,
               meets_min_members and meets_min_share as is_big_enough
        from marts.segment_summary
        order by count_members desc, segment
    """,
    "segment_trend": """
        select as_of, segment, count(*) as count_members
        from marts.segment_membership_history
        group by as_of, segment
        order by as_of, segment
    """,
    "overlap": """
        select segment_a, segment_b, jaccard, count_both
        from marts.segment_overlap
    """,
    "clusters": f"""
        select cluster_id, cluster_label, pca_x, pca_y
        from marts.user_clusters
        using sample reservoir({SCATTER_POINTS} rows) repeatable (7)
    """,
    "cluster_profiles": """
        select cluster_id, cluster_label, count_members, share_of_eligible, feature,
               mean_value, mean_z
        from marts.cluster_profiles
        order by cluster_id, feature
    """,
    "feature_drift": """
        select feature, psi, drift_flag, reference_as_of
        from marts.feature_drift
        order by psi desc nulls last, feature
    """,
    "segment_drift": """
        select segment, as_of, previous_as_of, count_members, count_members_previous,
               size_change, jaccard, is_size_flagged, is_stability_flagged
        from marts.segment_drift
        where as_of = (select max(as_of) from marts.segment_drift)
        order by segment
    """,
    "rejected": """
        select source_table || ': ' || detail as reason, sum(observed) as count_rows
        from marts.data_quality
        where check_name = 'rejected_rows'
        group by all
        order by count_rows desc
    """,
    "rejected_files": """
        select source_table, split_part(detail, ': ', 2) as file,
               split_part(detail, ': ', 1) as reason, round(observed, 1) as hours_rejected,
               observed >= expected as is_overdue
        from marts.data_quality
        where check_name = 'rejected_files'
        order by observed desc, source_table, file
    """,
    "quality_flags": """
        select check_name, source_table, detail, observed_date, observed, expected
        from marts.data_quality
        where is_flagged
        order by check_name, observed_date
    """,
    "row_counts": """
        select source_table, raw_rows, staged_rows, duplicate_rows, rejected_rows,
               erased_rows, reconciles, count_rejected_files
        from marts.data_quality_row_counts
        order by source_table
    """,
}


class DashboardError(RuntimeError):
    """The dashboard cannot be built; the message says what to fix."""


@dataclass
class Section:
    key: str
    title: str
    body: str


def load(db: Path) -> dict[str, pd.DataFrame]:
    """Run every query on the serving file (read-only)."""
    if not db.exists():
        raise DashboardError(f"no serving file at {db}: run `make build` (or `make publish`)")
    with duckdb.connect(str(db), read_only=True) as con:
        frames = {}
        for name, sql in QUERIES.items():
            try:
                frames[name] = con.execute(sql).df()
            except duckdb.CatalogException as exc:
                raise DashboardError(f"{db} lacks a mart the dashboard reads ({exc}); "
                                     "run `make build` to build and publish every mart") from exc
    return frames


def _figure_html(fig, div_id: str) -> str:
    fig.update_layout(margin={"l": 10, "r": 10, "t": 40, "b": 10}, template="plotly_white",
                      font={"family": "system-ui, sans-serif", "size": 12})
    return fig.to_html(full_html=False, include_plotlyjs=False, div_id=div_id,
                       config={"displaylogo": False, "responsive": True})


def _table(frame: pd.DataFrame, table_id: str, empty: str) -> str:
    if frame.empty:
        return f'<p class="empty" id="{table_id}">{html.escape(empty)}</p>'
    shown = frame.copy()
    for column in shown.columns:
        if pd.api.types.is_float_dtype(shown[column]):
            shown[column] = shown[column].map(lambda v: "" if pd.isna(v) else f"{v:,.3f}")
        elif pd.api.types.is_integer_dtype(shown[column]):
            shown[column] = shown[column].map(lambda v: f"{v:,}")
    return shown.to_html(index=False, table_id=table_id, border=0, classes="grid",
                         na_rep="")


def sections(frames: dict[str, pd.DataFrame]) -> list[Section]:
    """The page's sections, each a chart or a table with real numbers."""
    import plotly.express as px
    import plotly.graph_objects as go

    out: list[Section] = []
    sizes = frames["segment_sizes"]
    fig = go.Figure([
        go.Bar(name="members", x=sizes["segment"], y=sizes["count_members"],
               text=sizes["count_members"], texttemplate="%{text:,}",
               textposition="outside", cliponaxis=False),
        go.Bar(name="may be contacted", x=sizes["segment"], y=sizes["count_contactable"]),
    ])
    fig.update_layout(barmode="group", title="Members per segment", height=420)
    out.append(Section("segment_sizes", "Segment sizes", _figure_html(fig, "chart-segment-sizes")))

    trend = frames["segment_trend"]
    fig = px.line(trend, x="as_of", y="count_members", color="segment", markers=True,
                  title="Members per segment by as_of (segment_membership_history)")
    fig.update_layout(height=420)
    fig.update_xaxes(type="date", tickformat="%Y-%m-%d")
    out.append(Section("segment_trend", "Segment sizes over time",
                       _figure_html(fig, "chart-segment-trend")))

    overlap = frames["overlap"]
    names = sorted(set(overlap["segment_a"]) | set(overlap["segment_b"])
                   | set(sizes.loc[sizes["count_members"] > 0, "segment"]))
    matrix = pd.DataFrame(0.0, index=names, columns=names)
    for row in overlap.itertuples():
        matrix.loc[row.segment_a, row.segment_b] = row.jaccard
        matrix.loc[row.segment_b, row.segment_a] = row.jaccard
    for name in names:
        matrix.loc[name, name] = 1.0
    fig = go.Figure(go.Heatmap(z=matrix.to_numpy(), x=names, y=names, colorscale="Blues",
                               zmin=0, zmax=1, colorbar={"title": "Jaccard"}))
    fig.update_layout(title="Overlap between segments (Jaccard)", height=560)
    out.append(Section("overlap", "Segment overlap", _figure_html(fig, "chart-overlap")))

    clusters = frames["clusters"].sort_values("cluster_id")
    clusters["cluster"] = clusters["cluster_id"].astype(str) + " " + clusters["cluster_label"]
    fig = px.scatter(clusters, x="pca_x", y="pca_y", color="cluster", opacity=0.6,
                     title=f"Behavioural clusters, first two principal components "
                           f"({len(clusters):,} persons sampled)")
    fig.update_traces(marker={"size": 4})
    fig.update_layout(height=520)
    body = _figure_html(fig, "chart-clusters")
    profiles = frames["cluster_profiles"]
    if not profiles.empty:
        z = profiles.pivot_table(index=["cluster_id", "cluster_label", "count_members"],
                                 columns="feature", values="mean_z").reset_index()
        labels = [f"{r.cluster_id} {r.cluster_label} ({r.count_members:,})"
                  for r in z.itertuples()]
        features = [c for c in z.columns if c not in ("cluster_id", "cluster_label",
                                                      "count_members")]
        fig = go.Figure(go.Heatmap(z=z[features].to_numpy(), x=features, y=labels,
                                   colorscale="RdBu", zmid=0,
                                   colorbar={"title": "mean z"}))
        fig.update_layout(title="Cluster profiles (mean z-score of each feature)", height=420)
        body += _figure_html(fig, "chart-cluster-profiles")
    out.append(Section("clusters", "Clusters", body))

    drift = frames["feature_drift"]
    colours = {"stable": "#4c9a2a", "watch": "#e0a800", "act": "#c0392b",
               "no_reference": "#999999"}
    fig = go.Figure(go.Bar(x=drift["feature"], y=drift["psi"].fillna(0),
                           marker_color=[colours.get(f, "#999999") for f in drift["drift_flag"]],
                           text=drift["drift_flag"]))
    fig.update_layout(title="Feature and score drift (p_purchase, p_churn): PSI against the "
                            "reference build (0.1 watch, 0.25 act)", height=380)
    if drift["psi"].isna().all():
        fig.add_annotation(text="no reference build yet: drift needs a second build",
                           showarrow=False, xref="paper", yref="paper", x=0.5, y=0.5)
    body = _figure_html(fig, "chart-feature-drift")
    body += "<h3>Segment drift (latest build)</h3>" + _table(
        frames["segment_drift"], "table-segment-drift", "No previous build to compare with.")
    out.append(Section("drift", "Drift", body))

    rejected = frames["rejected"]
    fig = go.Figure(go.Bar(x=rejected["count_rows"], y=rejected["reason"], orientation="h",
                           text=rejected["count_rows"], texttemplate="%{text:,}"))
    fig.update_layout(title="Rejected rows by landing table and reason",
                      height=max(260, 28 * len(rejected) + 80),
                      yaxis={"autorange": "reversed"})
    body = _figure_html(fig, "chart-rejected")
    body += "<h3>Row counts (raw = staged + duplicates + rejected + erased)</h3>"
    body += _table(frames["row_counts"], "table-row-counts", "No landing tables.")
    body += ("<h3>Rejected files (not read; their rows are not yet counted; overdue: "
             "rejected longer than segmart_rejected_file_max_hours)</h3>")
    body += _table(frames["rejected_files"], "table-rejected-files",
                   "No landed file is rejected.")
    body += "<h3>Flagged checks</h3>" + _table(
        frames["quality_flags"], "table-quality-flags", "No data-quality check is flagged.")
    out.append(Section("quality", "Data quality", body))
    return out


PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<title>segmart — segments as of {as_of}</title>
<script src="plotly.min.js"></script>
<style>
body {{ font-family: system-ui, sans-serif; margin: 0 2rem 3rem; color: #222; }}
header {{ display: flex; gap: 2rem; align-items: baseline; flex-wrap: wrap; }}
.tile {{ background: #f4f6f8; border-radius: 6px; padding: .6rem 1rem; }}
.tile b {{ display: block; font-size: 1.5rem; }}
section {{ margin-top: 2rem; }}
table.grid {{ border-collapse: collapse; font-size: .85rem; }}
table.grid td, table.grid th {{ padding: .2rem .6rem; border-bottom: 1px solid #ddd;
  text-align: right; }}
nav a {{ margin-right: 1rem; }}
</style></head>
<body>
<header><h1>segmart</h1>
{tiles}
</header>
<nav>{nav}</nav>
{sections}
<footer><p>Built {built} from {source} (the published serving file).</p></footer>
</body></html>
"""


def render(frames: dict[str, pd.DataFrame], source: str) -> str:
    head = frames["headline"].iloc[0]
    tiles = "".join(
        f'<div class="tile" data-figure="{key}"><span>{label}</span><b>{value}</b></div>'
        for key, label, value in (
            ("as_of", "as of", html.escape(str(head["as_of"]))),
            ("persons", "persons", f"{int(head['count_persons'] or 0):,}"),
            ("segments", "segments with members",
             f"{int(head['count_segments_with_members']):,}"),
            ("memberships", "memberships", f"{int(head['count_memberships']):,}"),
            ("contactable", "may be contacted", f"{int(head['count_contactable']):,}"),
        ))
    parts = sections(frames)
    nav = "".join(f'<a href="#{s.key}">{html.escape(s.title)}</a>' for s in parts)
    body = "".join(f'<section id="{s.key}"><h2>{html.escape(s.title)}</h2>{s.body}</section>'
                   for s in parts)
    return PAGE.format(as_of=html.escape(str(head["as_of"])), tiles=tiles, nav=nav,
                       sections=body, built=time.strftime("%Y-%m-%d %H:%M:%S UTC",
                                                          time.gmtime()),
                       source=html.escape(source))


def build(db: Path, out: Path) -> Path:
    """Write out/index.html and out/plotly.min.js; return the page's path."""
    from plotly.offline import get_plotlyjs

    frames = load(db)
    out.mkdir(parents=True, exist_ok=True)
    (out / "plotly.min.js").write_text(get_plotlyjs(), encoding="utf-8")
    page = out / "index.html"
    tmp = out / ".index.html.tmp"
    tmp.write_text(render(frames, str(db)), encoding="utf-8")
    os.replace(tmp, page)
    return page


def serve(folder: Path, port: int) -> None:
    handler = partial(http.server.SimpleHTTPRequestHandler, directory=str(folder))
    with http.server.ThreadingHTTPServer(("127.0.0.1", port), handler) as server:
        print(f"serving the dashboard on http://localhost:{port}/ (Ctrl-C stops)")
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            print("stopped")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m segmart.dashboard", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", type=Path, default=Path("serving/segmart.duckdb"))
    parser.add_argument("--out", type=Path, default=Path("dashboard"))
    parser.add_argument("--serve", action="store_true", help="serve the page on localhost")
    parser.add_argument("--port", type=int, default=8050)
    args = parser.parse_args(argv)
    started = time.perf_counter()
    try:
        page = build(args.db, args.out)
    except DashboardError as exc:
        print(f"segmart dashboard: {exc}", file=sys.stderr)
        return 1
    print(f"dashboard written to {page} from {args.db} "
          f"in {time.perf_counter() - started:.1f} s")
    if args.serve:
        serve(args.out, args.port)
    return 0


if __name__ == "__main__":
    sys.exit(main())
