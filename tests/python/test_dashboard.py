"""The segment dashboard, built from the serving file and opened in headless Chromium: every
chart renders, with the numbers of the marts. The screenshot is kept in test-artifacts/."""

from __future__ import annotations

import functools
import http.server
import re
import shutil
import subprocess
import threading

import pytest

from conftest import PROJECT_ROOT
from segmart.dashboard import DashboardError, build
from segmart.publish import publish

pytestmark = pytest.mark.e2e

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
# the flags a closed network needs: no background connections, no sandbox as root
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--hide-scrollbars", "--virtual-time-budget=20000"]
CHARTS = ["chart-segment-sizes", "chart-segment-trend", "chart-overlap", "chart-clusters",
          "chart-cluster-profiles", "chart-feature-drift", "chart-rejected"]


@pytest.fixture(scope="module")
def served(built, later, tmp_path_factory):
    """The dashboard of a warehouse with two builds (so the trend has two points), served on
    a free localhost port."""
    if CHROMIUM is None:
        pytest.fail("chromium is not installed: `make browser` installs Debian's chromium")
    work = tmp_path_factory.mktemp("dashboard")
    serving = work / "serving.duckdb"
    publish(later.db_path, serving)
    site = work / "site"
    build(serving, site)
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(site))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/", serving, work
    server.shutdown()


def _chromium(work, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([CHROMIUM, *FLAGS, f"--user-data-dir={work / 'profile'}", *args],
                          capture_output=True, text=True, timeout=180, check=False)


def test_every_chart_renders_with_the_numbers_of_the_marts(served):
    url, serving, work = served
    result = _chromium(work, "--dump-dom", url)
    assert result.returncode == 0, result.stderr[-3000:]
    dom = result.stdout
    for chart in CHARTS:
        match = re.search(rf'<div id="{chart}"[^>]*>(.*?)</div>\s*(?:<script|</section>)',
                          dom, re.S)
        assert match, f"{chart} is not on the page"
        assert 'class="main-svg"' in dom[match.start():match.start() + 200_000], \
            f"{chart} did not render"
    import duckdb

    with duckdb.connect(str(serving), read_only=True) as con:
        sizes = con.execute("select count_members from marts.segment_summary "
                            "where count_members > 0").fetchall()
        persons = con.execute("select max(count_persons) from marts.segment_summary")
        persons = persons.fetchall()[0][0]
        builds = con.execute("select count(distinct as_of) "
                             "from marts.segment_membership_history").fetchall()[0][0]
    # the bar labels are drawn by plotly.js in the browser, from the data
    bar_labels = set(re.findall(r'class="bartext[^"]*"[^>]*data-unformatted="([^"]+)"', dom))
    assert {f"{n:,}" for (n,) in sizes} <= bar_labels
    assert f"{persons:,}" in dom
    assert builds == 2
    # both builds are points of the trend: one marker per segment and build
    trend = dom[dom.index('id="chart-segment-trend"'):dom.index('id="overlap"')]
    assert trend.count('class="point"') >= 2 * len(sizes)


def test_screenshot_is_kept_as_a_test_artifact(served):
    url, _, work = served
    artifacts = PROJECT_ROOT / "test-artifacts"
    artifacts.mkdir(exist_ok=True)
    shot = artifacts / "dashboard.png"
    shot.unlink(missing_ok=True)
    result = _chromium(work, "--window-size=1400,5000", f"--screenshot={shot}", url)
    assert result.returncode == 0, result.stderr[-3000:]
    assert shot.stat().st_size > 100_000  # a page of charts, not a blank one


def test_a_missing_serving_file_says_what_to_run(tmp_path):
    with pytest.raises(DashboardError, match="make build"):
        build(tmp_path / "missing.duckdb", tmp_path / "site")


def test_rejected_files_are_listed_with_their_reason_and_whether_overdue():
    import duckdb

    from segmart.dashboard import QUERIES, _table

    with duckdb.connect() as con:
        con.execute("create schema marts")
        con.execute("""
            create table marts.data_quality as select * from (values
                ('rejected_files', 'events', 'truncated: part-5.parquet', 30.0, 24.0),
                ('rejected_files', 'orders', 'incompatible_type:price: o.parquet', 2.0, 24.0),
                ('rejected_rows', 'events', 'negative_price', 3.0, null)
            ) as t(check_name, source_table, detail, observed, expected)""")
        frame = con.execute(QUERIES["rejected_files"]).df()
    assert frame.values.tolist() == [
        ["events", "part-5.parquet", "truncated", 30.0, True],
        ["orders", "o.parquet", "incompatible_type:price", 2.0, False]]
    assert "part-5.parquet" in _table(frame, "table-rejected-files", "none")
