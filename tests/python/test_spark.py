"""The same project on Apache Spark: every SQL model builds there from the same files, and the
marts equal the DuckDB build of the same data (docs/spark.md).

The tests marked ``spark`` start a local pyspark (Java 17); ``make test-spark`` runs them and
``make test`` calls it. The others check the helpers of segmart.spark without a JVM.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pytest
import yaml

from conftest import PROJECT_ROOT, generate, run_dbt
from segmart import spark as segmart_spark
from segmart.clustering import chosen_per_stage
from segmart.spark import (
    PARITY_TABLES,
    differences,
    duckdb_tables,
    java_problem,
    render_env,
    session_config,
)

AS_OF = "2025-01-01 00:00:00"
LATER_AS_OF = "2025-01-02 00:00:00"
#: the models dbt-spark cannot run on plain Spark (Python), and the one that only reads them;
#: pii_phone_numbers is the phonenumbers parse of the CRM phones (docs/activation.md, Spark)
OFF_ON_SPARK = {"user_clusters", "cluster_profiles", "clustering_quality",
                "feature_distributions", "feature_drift", "experiment_results",
                "feature_distribution_history", "pii_phone_numbers", "clv_model_fit",
                "customer_value", "feature_snapshots", "propensity_model_quality",
                "propensity_scores", "lookalike_seeds", "lookalike_scores",
                # the predictive segments read the prediction marts above
                "seg_likely_buyers", "seg_likely_churners", "seg_high_value_at_risk",
                "seg_lookalike_rfm_champions",
                # the CRM linkage (splink on DuckDB) and the view of its inputs
                "pii_crm_linkage_records", "pii_crm_linkage_parameters",
                "pii_crm_record_matches"}
CLUSTER_TABLES = ("clustering_quality", "user_clusters", "cluster_profiles")


def _require_spark() -> None:
    """Skip without pyspark or Java, except under make test-spark, where that is a failure."""
    missing = java_problem()
    try:
        import pyspark  # noqa: F401
    except ImportError:
        missing = missing or "pyspark is not installed (pip install -e '.[spark]')"
    if missing:
        if os.environ.get("SEGMART_REQUIRE_SPARK") == "1":
            pytest.fail(missing)
        pytest.skip(missing)


@dataclass(frozen=True)
class SparkRun:
    work: Path
    raw_dir: Path
    duckdb_path: Path
    spark_dir: Path


def _spark_env(run: SparkRun, name: str) -> dict[str, str]:
    # a relative landing root (with ..), as data/raw is by default: Spark must not resolve
    # it against its warehouse
    return {"SEGMART_TARGET": "spark", "SEGMART_SPARK_DIR": str(run.spark_dir),
            "SEGMART_RAW_DIR": os.path.relpath(run.raw_dir, PROJECT_ROOT),
            "SEGMART_SPARK_MEMORY": "2g", "DBT_TARGET_PATH": str(run.work / f"target-{name}")}


def _spark_dbt(run: SparkRun, name: str, args: list[str]) -> dict:
    """dbt on the spark target; returns run_results.json (asserting the command passed)."""
    result = run_dbt(args, run.raw_dir, run.duckdb_path, run.work / name,
                     extra_env=_spark_env(run, name))
    assert result.returncode == 0, result.stdout[-8000:] + result.stderr[-3000:]
    return json.loads((run.work / f"target-{name}" / "run_results.json").read_text())


def _segmart_spark(run: SparkRun, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "SEGMART_SPARK_DIR": str(run.spark_dir), "SEGMART_SPARK_MEMORY": "2g"}
    result = subprocess.run([sys.executable, "-m", "segmart.spark", *args], cwd=PROJECT_ROOT,
                            env=env, capture_output=True, text=True, timeout=900, check=False)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-4000:]
    return result


def _dump(run: SparkRun, name: str, tables) -> dict[str, pd.DataFrame]:
    """Spark tables read in a subprocess (one JVM at a time may open the local metastore)."""
    out = run.work / f"dump-{name}"
    _segmart_spark(run, "dump", "--out", str(out), *tables)
    return {table: pd.read_parquet(out / f"{table}.parquet") for table in tables}


@pytest.fixture(scope="module")
def spark_run(tmp_path_factory) -> dict:
    """A small generated data set built on DuckDB and on Spark (models, seeds and data tests;
    unit tests run on DuckDB), then clustered on Spark by segmart.spark."""
    _require_spark()
    work = tmp_path_factory.mktemp("spark")
    run = SparkRun(work, work / "raw", work / "segmart.duckdb", work / "spark")
    planted = generate(run.raw_dir, users=400, days=40, seed=5, deletion_rate=0.01)
    assert pd.Timestamp(planted["as_of"]) == pd.Timestamp(AS_OF)
    variables = json.dumps({"as_of": AS_OF})

    duck = run_dbt(["build", "--vars", variables], run.raw_dir, run.duckdb_path, work / "duck")
    assert duck.returncode == 0, duck.stdout[-6000:]
    results = _spark_dbt(run, "build", ["build", "--vars", variables,
                                        "--exclude-resource-type", "unit_test"])
    _segmart_spark(run, "cluster", "--manifest", str(work / "target-build" / "manifest.json"))
    manifest = json.loads((work / "target-build" / "manifest.json").read_text())
    tables = _dump(run, "first", [*PARITY_TABLES, *CLUSTER_TABLES])
    return {"run": run, "results": results, "manifest": manifest, "tables": tables}


# --- on Spark -------------------------------------------------------------------------------------

@pytest.mark.spark
def test_every_sql_model_and_data_test_passes_on_spark(spark_run):
    manifest, results = spark_run["manifest"], spark_run["results"]
    enabled = {node["name"] for node in manifest["nodes"].values()
               if node["resource_type"] == "model"}
    sql_models = {node["name"] for node in manifest["nodes"].values()
                  if node["resource_type"] == "model" and node["language"] == "sql"}
    assert enabled == sql_models, "a Python model is enabled on the spark target"
    disabled = {nodes[0]["name"] for nodes in manifest["disabled"].values()
                if nodes[0]["resource_type"] == "model"}
    assert disabled == OFF_ON_SPARK
    # from staging to the segment marts, every layer is there
    for layer in ("stg_tracking__events", "int_events_sessionized", "user_features",
                  "seg_cart_abandoners", "segment_memberships", "segment_membership_history",
                  "data_quality"):
        assert layer in sql_models
    statuses = {r["unique_id"]: r["status"] for r in results["results"]}
    built = {uid.split(".")[-1] for uid, status in statuses.items()
             if uid.startswith("model.") and status == "success"}
    ephemeral = {node["name"] for node in manifest["nodes"].values()
                 if node["resource_type"] == "model"
                 and node["config"]["materialized"] == "ephemeral"}
    assert ephemeral == {"stg_crm__erased_identities"}
    assert built == sql_models - ephemeral
    failed = {uid: status for uid, status in statuses.items()
              if uid.split(".")[0] in ("model", "seed", "test")
              and status not in ("success", "pass", "warn")}
    assert not failed
    assert sum(uid.startswith("test.") for uid in statuses) > 150
    # how tables are kept up to date on plain Spark (event_table_config, history_table_config)
    configs = {node["name"]: node["config"] for node in manifest["nodes"].values()
               if node["resource_type"] == "model"}
    for name in ("int_events_stitched", "int_events_sessionized"):
        assert configs[name]["materialized"] == "table"
    for name in ("segment_membership_history",):
        assert configs[name]["materialized"] == "incremental"
        assert configs[name]["incremental_strategy"] == "insert_overwrite"
        assert configs[name]["partition_by"] == ["as_of"]
    # the macros' singular test ran on Spark too
    assert statuses["test.segmart.assert_macros_behave"] == "pass"


@pytest.mark.spark
def test_user_features_and_memberships_equal_the_duckdb_build(spark_run):
    run, spark_tables = spark_run["run"], spark_run["tables"]
    duck = duckdb_tables(run.duckdb_path, list(PARITY_TABLES))
    for table, keys in PARITY_TABLES.items():
        assert len(duck[table]) > 0
        assert differences(duck[table], spark_tables[table], keys) == [], table
    assert duck["segment_memberships"]["segment"].nunique() >= 8


@pytest.mark.spark
def test_clustering_on_spark_writes_the_same_tables_as_the_python_models(spark_run):
    run, spark_tables = spark_run["run"], spark_run["tables"]
    duck = duckdb_tables(run.duckdb_path, list(CLUSTER_TABLES))
    for table in CLUSTER_TABLES:
        assert sorted(spark_tables[table].columns) == sorted(duck[table].columns), table
    chosen = {name: chosen_per_stage(frame)
              for name, frame in (("duck", duck["clustering_quality"]),
                                  ("spark", spark_tables["clustering_quality"]))}
    assert chosen["duck"] == chosen["spark"]
    # same features in, same clusters and labels out, person by person
    assert differences(
        duck["user_clusters"][["user_id", "cluster_id", "cluster_label"]],
        spark_tables["user_clusters"][["user_id", "cluster_id", "cluster_label"]],
        ["user_id"]) == []
    assert differences(duck["cluster_profiles"], spark_tables["cluster_profiles"],
                       ["cluster_id", "feature"]) == []


@pytest.mark.spark
def test_a_later_build_erases_history_on_spark_too(spark_run):
    """A second load brings a deletion request for a segment member; the next build, a day
    later, keeps the first build's slice of the history but without that person (Spark
    rewrites the Parquet table, it has no DELETE), and the parity marts are still equal."""
    run = spark_run["run"]
    memberships = spark_run["tables"]["segment_memberships"]
    erased = sorted(memberships["user_id"])[0]
    folder = run.raw_dir / "deletion_requests"
    folder.mkdir(exist_ok=True)
    request = pd.DataFrame({"user_id": [erased],
                            "requested_at": [pd.Timestamp("2024-12-31 12:00:00")]})
    # microseconds: Spark cannot read Parquet's nanosecond timestamps
    request["requested_at"] = request["requested_at"].astype("datetime64[us]")
    request.to_parquet(folder / "part-99999-later.parquet", index=False)

    variables = json.dumps({"as_of": LATER_AS_OF})
    duck = run_dbt(["run", "--vars", variables], run.raw_dir, run.duckdb_path,
                   run.work / "duck-2")
    assert duck.returncode == 0, duck.stdout[-6000:]
    _spark_dbt(run, "second", ["run", "--vars", variables])
    tables = _dump(run, "second", [*PARITY_TABLES, "segment_membership_history"])

    history = tables["segment_membership_history"]
    assert history["as_of"].nunique() == 2
    assert erased not in set(history["user_id"])
    assert history.duplicated(["as_of", "segment", "user_id"]).sum() == 0
    duck_tables = duckdb_tables(run.duckdb_path, [*PARITY_TABLES, "segment_membership_history"])
    assert differences(duck_tables["segment_membership_history"], history,
                       ["as_of", "segment", "user_id"]) == []
    for table, keys in PARITY_TABLES.items():
        assert erased not in set(tables[table]["user_id"])
        assert differences(duck_tables[table], tables[table], keys) == [], table
    # dropping and re-creating the external landing tables never touches the files
    assert (folder / "part-99999-later.parquet").exists()
    assert any((run.raw_dir / "events").glob("*.parquet"))


# --- helpers, without a JVM ----------------------------------------------------------------------

def test_java_missing_names_the_debian_package(monkeypatch):
    monkeypatch.setattr(segmart_spark.shutil, "which", lambda name: None)
    problem = java_problem()
    assert problem is not None and "openjdk-17-jre-headless" in problem
    assert segmart_spark.main(["check-java"]) == 1


def test_session_config_is_the_spark_output_of_profiles_yml(tmp_path):
    config = session_config(PROJECT_ROOT / "profiles.yml", {"SEGMART_SPARK_DIR": "/x/spark"})
    assert config["spark.sql.session.timeZone"] == "UTC"
    assert config["spark.sql.warehouse.dir"] == "/x/spark/tables"
    assert "/x/spark/metastore_db" in config["spark.hadoop.javax.jdo.option.ConnectionURL"]
    assert all("{{" not in value for value in config.values())
    profiles = yaml.safe_load((PROJECT_ROOT / "profiles.yml").read_text())
    assert profiles["segmart"]["outputs"]["spark"]["method"] == "session"


def test_render_env_takes_the_environment_then_the_default():
    text = "{{ env_var('A', 'd') }}/{{ env_var('B') }}"
    assert render_env(text, {"B": "b"}) == "d/b"
    assert render_env(text, {"A": "a", "B": "b"}) == "a/b"
    with pytest.raises(segmart_spark.SparkSetupError, match="B"):
        render_env(text, {})
    with pytest.raises(segmart_spark.SparkSetupError, match="only env_var"):
        render_env("{{ target.name }}", {})


def test_differences_tolerate_last_bits_not_more():
    duck = pd.DataFrame({"user_id": ["a", "b"], "x": [1.0, 2.0], "s": ["p", None],
                         "t": pd.to_datetime(["2025-01-01 10:00:00.123456", None])})
    close = duck.assign(x=[1.0 + 1e-12, 2.0])
    assert differences(duck, close, ["user_id"]) == []
    far = duck.assign(x=[1.0 + 1e-6, 2.0])
    assert differences(duck, far, ["user_id"]) == ["x at a: duckdb 1.0, spark 1.000001"]
    assert differences(duck, duck.assign(s=["p", "q"]), ["user_id"]) != []
    assert differences(duck, duck.iloc[:1], ["user_id"])[0].startswith("row counts differ")
    moved = duck.assign(t=pd.to_datetime(["2025-01-01 10:00:00.123", None]))
    assert differences(duck, moved, ["user_id"]) != []


def test_differences_read_json_by_content():
    duck = pd.DataFrame({"k": [1], "evidence": ['{"at":"2025-01-01 10:00:00.1","n":2}']})
    spark = pd.DataFrame({"k": [1], "evidence": ['{"at":"2025-01-01 10:00:00.100000","n":2}']})
    assert differences(duck, spark, ["k"]) == []
    other = pd.DataFrame({"k": [1], "evidence": ['{"at":"2025-01-01 10:00:00.2","n":2}']})
    assert differences(duck, other, ["k"]) != []
