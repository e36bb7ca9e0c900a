"""segmart.build: a scheduled build is skipped only when nothing it reads has changed since
the last completed build, and says why it builds or skips."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path

import duckdb
import pytest

from conftest import PROJECT_ROOT, run_dbt
from segmart import build

NOW = datetime(2026, 1, 2, 3, 4, 5)


def _inputs(**changed: str) -> dict[str, str]:
    return {**{part: f"{part}-digest" for part in build.PARTS}, **changed}


def _state(due_at: datetime | None = None, inputs: dict | None = None) -> build.State:
    return build.State(built_at=NOW - timedelta(hours=20), due_at=due_at,
                       inputs=_inputs() if inputs is None else inputs)


def _touch(path: Path, text: str, mtime_ns: int | None = None) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    if mtime_ns is not None:
        os.utime(path, ns=(mtime_ns, mtime_ns))


# --- what counts as a change ----------------------------------------------------------------


def test_the_landing_digest_sees_new_grown_and_touched_files_only(tmp_path):
    raw = tmp_path / "raw"
    _touch(raw / "events" / "day-1.parquet", "one", 1_000_000_000)
    _touch(raw / "orders" / "day-1.parquet", "two", 1_000_000_000)
    first = build.landing_digest(raw)
    assert build.landing_digest(raw) == first
    # markers and hidden files are not landed files (the landing contract)
    _touch(raw / "events" / "_SUCCESS", "")
    _touch(raw / "events" / ".day-2.parquet.crc", "x")
    _touch(raw / "events" / "_temporary" / "part-0.parquet", "x")
    assert build.landing_digest(raw) == first
    _touch(raw / "events" / "day-2.parquet", "three", 1_000_000_000)
    second = build.landing_digest(raw)
    assert second != first
    # the same size, another modification time: rewritten in place
    _touch(raw / "events" / "day-2.parquet", "three", 2_000_000_000)
    assert build.landing_digest(raw) != second
    (raw / "events" / "day-2.parquet").unlink()
    assert build.landing_digest(raw) == first


def test_the_project_digest_follows_models_yaml_profile_and_segmart_source(tmp_path):
    project = tmp_path / "project"
    _touch(project / "models" / "a.sql", "select 1")
    _touch(project / "models" / "_models.yml", "version: 2")
    _touch(project / "dbt_project.yml", "name: x")
    _touch(project / "profiles.yml", "x: {}")
    first = build.project_digest(project, project)
    _touch(project / "models" / ".DS_Store", "editor state")
    _touch(project / "models" / "__pycache__" / "m.cpython-311.pyc", "bytecode")
    _touch(project / "README.md", "prose is not read by dbt")
    assert build.project_digest(project, project) == first
    for path, text in [("models/_models.yml", "version: 2 "), ("models/a.sql", "select 2"),
                       ("dbt_project.yml", "name: y"), ("profiles.yml", "y: {}"),
                       ("seeds/s.csv", "a\n1")]:
        before = build.project_digest(project, project)
        _touch(project / path, text)
        assert build.project_digest(project, project) != before, path


def test_the_environment_is_every_segmart_and_dbt_variable():
    salted = build.environment_digest({"SEGMART_PII_SALT": "s3cret", "HOME": "/root"})
    assert build.environment_digest({"SEGMART_PII_SALT": "s3cret", "HOME": "/tmp"}) == salted
    assert build.environment_digest({"SEGMART_PII_SALT": "other", "HOME": "/root"}) != salted
    # dbt reads options from DBT_* (DBT_EMPTY builds empty models)
    assert build.environment_digest({"SEGMART_PII_SALT": "s3cret", "DBT_EMPTY": "1"}) != salted


def test_landed_files_follow_linked_folders_and_the_path_as_dbt_reads_it(tmp_path):
    elsewhere = tmp_path / "mounted" / "events"
    _touch(elsewhere / "day-1.parquet", "one")
    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / "events").symlink_to(elsewhere, target_is_directory=True)
    assert [row.split("\t")[0] for row in build.landed_files(raw)] == ["events/day-1.parquet"]
    assert build.landing_root(tmp_path, {"SEGMART_RAW_DIR": " raw \n"}) == raw
    assert build.landing_root(tmp_path, {}) == tmp_path / "data" / "raw"


@pytest.mark.parametrize(("args", "environ", "elsewhere"), [
    ([], {}, None),
    (["--select", "x", "--vars", "{a: 1}"], {"SEGMART_TARGET": "dev"}, None),
    ([], {"SEGMART_TARGET": "spark"}, "target 'spark'"),
    (["--target", "spark"], {}, "target 'spark'"),
    (["-t", "lint"], {}, "target 'lint'"),
    (["--target=spark"], {}, "target 'spark'"),
    ([], {"DBT_TARGET": "spark"}, "target 'spark'"),
    (["-t", "dev"], {"SEGMART_TARGET": "spark"}, None),
    (["--project-dir", "/elsewhere"], {}, "--project-dir given"),
    (["--profiles-dir=/elsewhere"], {}, "--profiles-dir given"),
    (["--profile", "other"], {}, "--profile given"),
    ([], {"DBT_PROJECT_DIR": "/elsewhere"}, "DBT_PROJECT_DIR set"),
])
def test_only_this_projects_own_duckdb_target_is_ever_skipped(args, environ, elsewhere):
    assert build.where_it_builds(args, environ) == elsewhere


@pytest.mark.parametrize(("args", "environ", "full"), [
    ([], {}, False), (["--full-refresh"], {}, True), (["-f"], {}, True),
    ([], {"DBT_FULL_REFRESH": "True"}, True), ([], {"DBT_FULL_REFRESH": "0"}, False),
])
def test_a_full_refresh_is_seen_in_any_spelling(args, environ, full):
    assert build.is_full_refresh(args, environ) is full


# --- build or skip --------------------------------------------------------------------------


def test_unchanged_inputs_with_nothing_due_skip_and_say_until_when():
    decision = build.decide(_state(due_at=NOW + timedelta(days=3)), _inputs(), NOW)
    assert not decision.build
    assert "nothing new since the build of 2026-01-01 07:04:05 UTC" in decision.reason
    assert "nothing is due before 2026-01-05 03:04:05 UTC" in decision.reason
    assert not build.decide(_state(due_at=None), _inputs(), NOW).build


@pytest.mark.parametrize("part", build.PARTS)
def test_any_changed_part_builds_and_is_named(part):
    decision = build.decide(_state(), _inputs(**{part: "new"}), NOW)
    assert decision.build
    assert decision.reason.endswith(build.PART_NAMES[part])


def test_a_due_time_that_has_come_builds():
    assert build.decide(_state(due_at=NOW), _inputs(), NOW).build
    decision = build.decide(_state(due_at=NOW - timedelta(minutes=1)), _inputs(), NOW)
    assert decision.build and "due since 2026-01-02 03:03:05 UTC" in decision.reason


@pytest.mark.parametrize(("state", "kwargs", "reason"), [
    (None, {}, "no completed build"),
    (build.State(built_at=NOW, due_at=None, inputs=None), {}, "no completed build"),
    (_state(), {"force": True}, "--force"),
    (_state(), {"full_refresh": True}, "a full refresh"),
    (_state(), {"elsewhere": "target 'spark'"}, "target 'spark': only this project's own"),
])
def test_no_record_force_full_refresh_and_other_targets_always_build(state, kwargs, reason):
    decision = build.decide(state, _inputs(), NOW, **kwargs)
    assert decision.build and reason in decision.reason


def test_a_missing_warehouse_has_no_state_and_a_held_one_cannot_be_read(tmp_path):
    assert build.read_state(tmp_path / "none.duckdb") is None
    db = tmp_path / "held.duckdb"
    with duckdb.connect(str(db)) as con:
        con.execute("create table main.segmart_build_state as select "
                    "timestamp '2026-01-01' as built_at, null::timestamp as due_at, "
                    "'{}' as inputs, 'x' as invocation_id")
    assert build.read_state(db) == build.State(datetime(2026, 1, 1), None, {})
    # another process writing (a build, a BI tool opened read-write) holds the file's lock
    holder = subprocess.Popen(
        [sys.executable, "-c", "import duckdb, sys, time; c = duckdb.connect(sys.argv[1]); "
         "print('held', flush=True); time.sleep(60)", str(db)],
        stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        with pytest.raises(duckdb.Error):
            build.read_state(db)
    finally:
        holder.kill()
        holder.wait()


# --- against a built warehouse ----------------------------------------------------------------


def _env(raw: Path, db: Path, work: Path) -> dict[str, str]:
    return {**os.environ, "SEGMART_RAW_DIR": str(raw), "SEGMART_DB": str(db),
            "SEGMART_TARGET": "dev", "DBT_PROFILES_DIR": str(PROJECT_ROOT),
            "DBT_TARGET_PATH": str(work / "target"), "DBT_LOG_PATH": str(work / "logs"),
            "DBT_SEND_ANONYMOUS_USAGE_STATS": "false", "DO_NOT_TRACK": "1"}


def _segmart_build(args: list[str], raw: Path, db: Path, work: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "segmart.build", *args], cwd=PROJECT_ROOT,
                          env=_env(raw, db, work), capture_output=True, text=True, timeout=900,
                          check=False)


@pytest.mark.e2e
def test_a_second_build_with_nothing_new_is_skipped_until_dbt_runs_again(built, tmp_path):
    db = tmp_path / "w.duckdb"
    shutil.copy(built.db_path, db)
    raw = tmp_path / "raw"
    shutil.copytree(built.raw_dir, raw)
    # a small selection keeps this quick; the recorded state is the same as a whole build's
    args = ["--select", "int_as_of_resolved", "--vars", json.dumps({"as_of": built.as_of})]

    first = _segmart_build(args, raw, db, tmp_path)
    assert first.returncode == 0, first.stdout[-4000:] + first.stderr[-2000:]
    assert "segmart: dbt build (" in first.stdout and "Completed successfully" in first.stdout
    state = build.read_state(db)
    assert state is not None and set(state.inputs) == set(build.PARTS)
    # digests only: no setting's value (the salt among them) is stored
    assert all(re.fullmatch("[0-9a-f]{64}", digest) for digest in state.inputs.values())
    # the demo plants an event dated 2125: due a tolerance (24 h) before it
    assert state.due_at == datetime(2124, 12, 31)

    (tmp_path / "target" / "run_results.json").unlink()
    second = _segmart_build(args, raw, db, tmp_path)
    assert second.returncode == 0, second.stdout[-4000:] + second.stderr[-2000:]
    assert "segmart: skipped dbt build: nothing new since the build of" in second.stdout
    assert not (tmp_path / "target" / "run_results.json").exists()
    assert build.read_state(db) == state

    # another argument is another command
    args.append("--no-partial-parse")
    other = _segmart_build(args, raw, db, tmp_path)
    assert other.returncode == 0, other.stdout[-4000:]
    assert "changed since the build of" in other.stdout and "dbt arguments" in other.stdout

    # a new landed file, seen without opening it; this one is broken, so it is rejected, and
    # a rejected file is checked again by every build: the state is due at once
    (raw / "events" / "zz-broken.parquet").write_bytes(b"not parquet")
    now = build.read_state(db).built_at
    decision = build.decide(build.read_state(db),
                            build.inputs(PROJECT_ROOT, _env(raw, db, tmp_path), args), now)
    assert decision.build and decision.reason.endswith(": landing files")
    rejected = _segmart_build(args, raw, db, tmp_path)
    assert rejected.returncode == 0, rejected.stdout[-4000:]
    state = build.read_state(db)
    assert state.due_at == state.built_at
    again = _segmart_build(args, raw, db, tmp_path)
    assert again.returncode == 0, again.stdout[-4000:]
    assert "segmart: dbt build (due since" in again.stdout


@pytest.mark.e2e
def test_a_failed_build_records_no_state_and_any_dbt_run_forgets_it(built, tmp_path):
    db = tmp_path / "w.duckdb"
    shutil.copy(built.db_path, db)
    args = ["--select", "int_as_of_resolved", "--vars", json.dumps({"as_of": built.as_of})]

    def build_once() -> None:
        done = _segmart_build(args, built.raw_dir, db, tmp_path)
        assert done.returncode == 0, done.stdout[-4000:]
        assert build.read_state(db).inputs is not None

    build_once()
    # a failed test, with a tolerance the on-run-end hook reads without error: the model's
    # unit test expects the default tolerance of 24 hours
    failed = _segmart_build(["--select", "base_tracking__events", "--vars",
                             "{segmart_future_tolerance_hours: 1000000}"], built.raw_dir, db,
                            tmp_path)
    assert failed.returncode != 0
    assert "FAIL" in failed.stdout and "on-run-end" in failed.stdout
    assert build.read_state(db) is None

    # dbt by hand (here one test) may change the warehouse: the next build is a real one
    build_once()
    by_hand = run_dbt(["test", *args], built.raw_dir, db, tmp_path)
    assert by_hand.returncode == 0, by_hand.stdout[-4000:]
    assert build.read_state(db) is None
