"""The BI serving path and the activation export: readers are never blocked, never see a
half-published state, and exports hold only persons who may be contacted."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import textwrap
import time

import duckdb
import pandas as pd
import pytest

from conftest import LATER_AS_OF, run_dbt
from segmart.export import ExportError, export
from segmart.publish import PublishError, mart_descriptions, publish

pytestmark = pytest.mark.e2e

READER = textwrap.dedent("""
    import json, sys, time
    from pathlib import Path
    import duckdb

    serving, stop, log = Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3])
    reads, errors, inconsistent, seen = 0, [], [], set()
    while not stop.exists():
        try:
            # a BI tool's pattern: connect read-only, ask, disconnect
            with duckdb.connect(str(serving), read_only=True) as con:
                members = dict(con.execute(
                    "select segment, count(*) from marts.segment_memberships group by 1"
                ).fetchall())
                summary = con.execute(
                    "select segment, count_members, cast(as_of as varchar) "
                    "from marts.segment_summary").fetchall()
            reads += 1
            seen.update(row[2] for row in summary)
            for segment, count, _ in summary:
                if members.get(segment, 0) != count:
                    inconsistent.append([segment, count, members.get(segment, 0)])
            if len({row[2] for row in summary}) != 1:
                inconsistent.append(["as_of", sorted({row[2] for row in summary})])
        except Exception as exc:  # every error is a failure of the serving path
            errors.append(repr(exc))
        time.sleep(0.02)
    log.write_text(json.dumps({"reads": reads, "errors": errors[:5], "count_errors": len(errors),
                               "inconsistent": inconsistent[:5], "seen": sorted(seen)}))
""")


def _tables(path) -> dict[str, int]:
    with duckdb.connect(str(path), read_only=True) as con:
        names = [r[0] for r in con.execute(
            "select table_name from information_schema.tables "
            "where table_schema = 'marts' and table_type = 'BASE TABLE'").fetchall()]
        return {n: con.execute(f'select count(*) from marts."{n}"').fetchall()[0][0]
                for n in names}


def test_publish_copies_every_mart_table(built, tmp_path):
    serving = tmp_path / "serving" / "segmart.duckdb"
    counts = publish(built.db_path, serving)
    published = _tables(serving)
    assert published.pop("publication") == 1
    assert published == counts == _tables(built.db_path)
    assert {"segment_memberships", "segment_summary", "user_features"} <= set(published)
    # only the serving file is left behind: no temporary copy, no write-ahead log
    assert sorted(p.name for p in serving.parent.iterdir()) == ["segmart.duckdb",
                                                               "segmart.pii.duckdb"]
    # beside it the restricted file the export reads: pii_customers only, owner-only
    restricted = serving.with_name("segmart.pii.duckdb")
    assert restricted.stat().st_mode & 0o077 == 0
    with duckdb.connect(str(restricted), read_only=True) as con:
        assert con.execute("select table_schema, table_name from information_schema.tables"
                           ).fetchall() == [("pii", "pii_customers")]


def test_published_tables_and_columns_carry_their_descriptions(built, tmp_path):
    """BI tools read the descriptions from the serving file: every table and column of it,
    from dbt's manifest; the warehouse holds none on DuckDB (persist_docs is off there)."""
    serving = tmp_path / "segmart.duckdb"
    manifest = built.db_path.parent / "target" / "manifest.json"
    publish(built.db_path, serving, with_pii=False, manifest=manifest)
    with duckdb.connect(str(serving), read_only=True) as con:
        tables = dict(con.execute("select table_name, comment from duckdb_tables()"
                                  " where schema_name = 'marts'").fetchall())
        columns = con.execute("select table_name, column_name, comment from duckdb_columns()"
                              " where schema_name = 'marts'").fetchall()
    documented = mart_descriptions(manifest)
    assert len(tables) > 30 and all(tables.values())
    assert tables["user_features"] == documented["user_features"][0]
    assert [(t, c) for t, c, comment in columns if not comment] == []
    assert {(t, c): comment for t, c, comment in columns}[("user_features", "recency_days")] \
        == documented["user_features"][1]["recency_days"]
    with duckdb.connect(str(built.db_path), read_only=True) as con:
        assert con.execute("select count(comment) from duckdb_columns()").fetchall() == [(0,)]


def test_a_failed_publish_keeps_the_previous_serving_file(built, tmp_path):
    serving = tmp_path / "segmart.duckdb"
    publish(built.db_path, serving)
    before = serving.read_bytes()
    empty = tmp_path / "empty.duckdb"
    duckdb.connect(str(empty)).close()
    with pytest.raises(PublishError, match="no tables in schema 'marts'"):
        publish(empty, serving)
    with pytest.raises(PublishError, match="run `make build`"):
        publish(tmp_path / "missing.duckdb", serving)
    assert serving.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["empty.duckdb", "segmart.duckdb",
                                                          "segmart.pii.duckdb"]


def test_readers_are_never_blocked_nor_see_a_mixed_state(built, tmp_path):
    """A reader polls the serving file while dbt rebuilds the warehouse at a later as_of and
    the two builds are published in turn: no error, and every read is one whole build."""
    serving = tmp_path / "serving.duckdb"
    publish(built.db_path, serving)
    rebuilt = tmp_path / "rebuilt.duckdb"
    shutil.copy(built.db_path, rebuilt)
    stop, log = tmp_path / "stop", tmp_path / "reader.json"
    reader = subprocess.Popen([sys.executable, "-c", READER, str(serving), str(stop), str(log)])
    try:
        time.sleep(1)
        result = run_dbt(["build", "--vars", json.dumps({"as_of": LATER_AS_OF})],
                         built.raw_dir, rebuilt, tmp_path)
        assert result.returncode == 0, result.stdout[-4000:]
        for _ in range(6):
            publish(rebuilt, serving)
            time.sleep(0.3)
            publish(built.db_path, serving)
            time.sleep(0.3)
    finally:
        stop.touch()
        reader.wait(timeout=60)
    outcome = json.loads(log.read_text())
    assert outcome["count_errors"] == 0, outcome["errors"]
    assert outcome["inconsistent"] == []
    assert outcome["reads"] > 50
    assert len(outcome["seen"]) == 2, "the reader saw both builds"


def test_export_holds_only_contactable_treatment_members(built, tmp_path):
    serving = tmp_path / "segmart.duckdb"
    publish(built.db_path, serving)
    out = tmp_path / "exports"
    manifest = export(serving, out)
    with duckdb.connect(str(serving), read_only=True) as con:
        segments = [r[0] for r in con.execute("select segment from marts.segment_summary")
                    .fetchall()]
        expected = con.execute("""
            select m.segment, m.user_id from marts.segment_memberships as m
            inner join marts.segment_holdouts as h using (segment, user_id)
            where m.can_contact and h.holdout_group = 'treatment'
        """).df()
        consent = dict(con.execute(
            "select user_id, has_marketing_consent from marts.user_profiles").fetchall())
    assert sorted(r["segment"] for r in manifest) == sorted(segments)
    exported = []
    for row in manifest:
        parquet = pd.read_parquet(out / f"{row['segment']}.parquet")
        csv = pd.read_csv(out / f"{row['segment']}.csv")
        assert list(parquet.columns) == ["segment", "user_id", "email_sha256", "as_of"]
        assert len(parquet) == len(csv) == row["count_exported"]
        assert row["count_members"] == (row["count_exported"] + row["count_held_out"]
                                        + row["count_without_consent"])
        assert all(consent[u] for u in parquet["user_id"])
        exported.append(parquet[["segment", "user_id"]])
    got = pd.concat(exported).sort_values(["segment", "user_id"]).reset_index(drop=True)
    want = expected.sort_values(["segment", "user_id"]).reset_index(drop=True)
    pd.testing.assert_frame_equal(got, want)
    assert any(r["count_without_consent"] > 0 for r in manifest)
    assert any(r["count_held_out"] > 0 for r in manifest)
    text = "".join(p.read_text() for p in out.glob("*.csv"))
    assert "@" not in text
    assert pd.read_csv(out / "_manifest.csv")["segment"].tolist() == [r["segment"]
                                                                       for r in manifest]


def test_export_replaces_the_whole_folder(built, tmp_path):
    out = tmp_path / "exports"
    out.mkdir()
    (out / "segment_that_no_longer_exists.csv").write_text("stale")
    export(built.db_path, out, ("csv",))
    assert not (out / "segment_that_no_longer_exists.csv").exists()
    assert not list(out.glob("*.parquet"))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["exports"]


def test_export_errors_say_what_to_fix(built, tmp_path):
    with pytest.raises(ExportError, match="make publish"):
        export(tmp_path / "missing.duckdb", tmp_path / "out")
    with pytest.raises(ExportError, match="subset of parquet,csv"):
        export(built.db_path, tmp_path / "out", ("xlsx",))
