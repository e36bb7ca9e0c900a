"""A segment is one SQL file and its YAML block: the README's "Add a segment" steps, followed
on a copy of the project, put the new rule in segment_memberships and segment_summary; and
what is derived from the rules (segment_memberships' refs, the docs' segment table) is
current in the repository."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import duckdb
import pytest

from conftest import PROJECT_ROOT, generate, run_dbt
from segmart import segments

SEGMENTS_DIR = Path("models/marts/segments")
KEEP = ("dbt_project.yml", "profiles.yml", "models", "macros", "tests", "seeds", "analyses",
        "docs", "src")


def _copy_project(to: Path) -> Path:
    to.mkdir()
    for name in KEEP:
        source = PROJECT_ROOT / name
        if source.is_dir():
            shutil.copytree(source, to / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy(source, to / name)
    return to


def _add_rule_by_copy(project: Path, source: str, name: str) -> None:
    """Steps 1 and 2 of the guide: copy a rule's SQL file and its YAML block."""
    old = source.removeprefix("seg_")
    sql = (project / SEGMENTS_DIR / f"{source}.sql").read_text()
    (project / SEGMENTS_DIR / f"seg_{name}.sql").write_text(sql.replace(f"'{old}'", f"'{name}'"))
    yml = project / SEGMENTS_DIR / "_segments__models.yml"
    text = yml.read_text()
    start = text.index(f"  - name: {source}\n")
    end = text.index("\n  - name: ", start + 1) + 1
    block = text[start:end].replace(source, f"seg_{name}").replace(old, name)
    yml.write_text(text[:end] + block + text[end:])


def test_the_derived_files_are_current():
    assert segments.sync(PROJECT_ROOT, check=True) == [], \
        "run `python -m segmart.segments` and commit what it writes"


def test_a_new_rule_makes_the_derived_files_stale_until_synced(tmp_path):
    project = _copy_project(tmp_path / "project")
    _add_rule_by_copy(project, "seg_highly_active_users", "weekly_regulars")
    assert segments.main(["--check", "--project", str(project)]) == 1
    assert segments.main(["--project", str(project)]) == 0
    memberships = (project / segments.MEMBERSHIPS).read_text()
    assert "-- depends_on: {{ ref('seg_weekly_regulars') }}" in memberships
    assert "| `weekly_regulars` | `seg_weekly_regulars` |" in (project / segments.DOCS).read_text()
    assert segments.main(["--check", "--project", str(project)]) == 0


def test_a_rule_without_its_yaml_block_or_contract_is_refused(tmp_path):
    project = _copy_project(tmp_path / "project")
    rule = project / SEGMENTS_DIR / "seg_highly_active_users.sql"
    shutil.copy(rule, rule.with_name("seg_orphan.sql"))
    with pytest.raises(ValueError, match="seg_orphan.sql has no YAML block"):
        segments.rules(project)
    rule.with_name("seg_orphan.sql").unlink()
    yml = project / SEGMENTS_DIR / "_segments__models.yml"
    yml.write_text(yml.read_text().replace(
        "data_tests: [segment_rule, segment_members_are_persons]", "data_tests: []", 1))
    with pytest.raises(ValueError, match="needs data_tests"):
        segments.rules(project)


@pytest.mark.e2e
def test_add_a_segment_as_the_readme_says(tmp_path):
    project = _copy_project(tmp_path / "project")
    _add_rule_by_copy(project, "seg_highly_active_users", "weekly_regulars")
    raw_dir = tmp_path / "raw"
    as_of = generate(raw_dir, users=400, days=40)["as_of"]
    db_path = tmp_path / "new.duckdb"
    vars_ = ["--vars", json.dumps({"as_of": as_of})]

    # step 3 before `make segments`: the build stops and names the command
    result = run_dbt(["build", "-s", "+segment_summary", *vars_], raw_dir, db_path, tmp_path,
                     project_dir=project)
    assert result.returncode != 0
    assert "seg_weekly_regulars" in result.stdout
    assert "python -m segmart.segments" in result.stdout

    assert segments.main(["--project", str(project)]) == 0  # make segments
    result = run_dbt(["build", "-s", "+segment_summary", *vars_], raw_dir, db_path, tmp_path,
                     project_dir=project)
    assert result.returncode == 0, result.stdout[-6000:]
    with duckdb.connect(str(db_path), read_only=True) as con:
        members = dict(con.execute(
            "select segment, count(*) from marts.segment_memberships "
            "where segment in ('weekly_regulars', 'highly_active_users') group by all").fetchall())
        summary = con.execute(
            "select rule_model, count_members from marts.segment_summary "
            "where segment = 'weekly_regulars'").fetchall()
    # the same rule under a new name finds the same persons
    assert members["weekly_regulars"] == members["highly_active_users"] > 0
    assert summary == [("seg_weekly_regulars", members["weekly_regulars"])]
    run = json.loads((tmp_path / "target" / "run_results.json").read_text())
    ran = {r["unique_id"]: r["status"] for r in run["results"]}
    contract = [status for uid, status in ran.items() if "seg_weekly_regulars" in uid
                and uid.startswith("test.segmart.segment_")]
    assert contract == ["pass", "pass"], ran
