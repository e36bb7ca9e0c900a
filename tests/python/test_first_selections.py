"""The selections an analyst types first build on a new warehouse with dbt's default command
line: `+user_features`, `+segment_memberships`, `+seg_<name>` (docs/decisions/0003)."""

from __future__ import annotations

import json

import pytest

from conftest import generate, run_dbt


@pytest.fixture(scope="module")
def landing(tmp_path_factory):
    raw_dir = tmp_path_factory.mktemp("first_selections") / "raw"
    manifest = generate(raw_dir, users=400, days=40)
    return raw_dir, manifest["as_of"]


@pytest.mark.e2e
@pytest.mark.parametrize("selection", ["+user_features", "+segment_memberships",
                                       "+seg_churn_risk"])
def test_first_selection_builds_on_a_new_warehouse(landing, tmp_path, selection):
    raw_dir, as_of = landing
    db_path = tmp_path / "new.duckdb"
    assert not db_path.exists()
    result = run_dbt(["build", "--select", selection, "--vars", json.dumps({"as_of": as_of})],
                     raw_dir, db_path, tmp_path)
    assert result.returncode == 0, result.stdout[-6000:]
    assert "does not exist" not in result.stdout
    run = json.loads((tmp_path / "target" / "run_results.json").read_text())
    statuses = {r["unique_id"]: r["status"] for r in run["results"]}
    target = "model.segmart." + selection.lstrip("+")
    assert statuses[target] == "success"
    # the selected model's own data tests ran, not only the models
    assert any(uid.startswith("test.segmart.") and target.split(".")[-1] in uid
               for uid in statuses), sorted(statuses)
