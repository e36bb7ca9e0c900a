"""segmart on Apache Spark: the session of the ``spark`` target, the clustering models for
plain Spark, and the check that Spark and DuckDB build the same marts.

    python -m segmart.spark check-java
    python -m segmart.spark cluster [--manifest target/manifest.json]
    python -m segmart.spark compare --duckdb warehouse/segmart.duckdb
    python -m segmart.spark dump --out DIR user_features ...

dbt-spark runs Python models only on Databricks, so on plain Spark the models in
``models/marts/ml`` are disabled (dbt_project.yml) and ``cluster`` writes the same three
tables (clustering_quality, user_clusters, cluster_profiles) with the same
:mod:`segmart.clustering` functions, on ``user_features`` read through pyspark, with the
clustering config dbt parsed for those models (target/manifest.json).

The session is configured from the ``spark`` output of profiles.yml, so this module opens
the very warehouse and metastore that ``dbt build --target spark`` wrote.
"""

from __future__ import annotations

import argparse
import datetime
import decimal
import json
import math
import re
import shutil
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from segmart.clustering import (
    ClusteringConfig,
    centroids_from_profiles,
    chosen_per_stage,
    clusters_table,
    prepare,
    profile_clusters,
    quality_table,
    required_columns,
)
from segmart.reuse import COLUMN, fingerprint

JAVA_PACKAGE = "openjdk-17-jre-headless"
#: The marts that must be equal on both engines, and their keys.
PARITY_TABLES: dict[str, tuple[str, ...]] = {
    "user_features": ("user_id",),
    "segment_memberships": ("segment", "user_id"),
}
#: Relative tolerance for floating-point columns (sums in another order differ in the last bits).
RELATIVE_TOLERANCE = 1e-9

_ENV_VAR = re.compile(r"""\{\{\s*env_var\(\s*'([^']+)'\s*(?:,\s*'([^']*)'\s*)?\)\s*\}\}""")


class SparkSetupError(RuntimeError):
    """Spark cannot start here (no Java, no pyspark, no spark target)."""


def java_problem() -> str | None:
    """Why Spark cannot start on this machine, or None when Java is there."""
    if shutil.which("java") is None:
        return ("the spark target needs Java 17 (pyspark starts a JVM): install the Debian "
                f"package '{JAVA_PACKAGE}' (apt-get install {JAVA_PACKAGE}) or set JAVA_HOME")
    return None


def render_env(text: str, environ: Mapping[str, str]) -> str:
    """Render the ``{{ env_var('NAME', 'default') }}`` calls of a profiles.yml value, the only
    Jinja the spark output uses. Anything else left in ``{{ }}`` is an error."""
    def replace(match: re.Match[str]) -> str:
        name, default = match.group(1), match.group(2)
        if name in environ:
            return environ[name]
        if default is None:
            raise SparkSetupError(f"profiles.yml needs the environment variable {name}")
        return default

    rendered = _ENV_VAR.sub(replace, text)
    if "{{" in rendered:
        raise SparkSetupError(f"cannot render profiles.yml value {text!r}: only env_var() is "
                              "supported in the spark output")
    return rendered


def session_config(profiles: Path, environ: Mapping[str, str]) -> dict[str, str]:
    """The Spark settings of the ``spark`` output of profiles.yml, rendered."""
    outputs = yaml.safe_load(profiles.read_text())["segmart"]["outputs"]
    if "spark" not in outputs:
        raise SparkSetupError(f"{profiles} has no 'spark' output")
    parameters = outputs["spark"].get("server_side_parameters", {})
    return {key: render_env(str(value), environ) for key, value in parameters.items()}


def session(profiles: Path, environ: Mapping[str, str]):
    """A SparkSession on the warehouse and metastore of the spark target."""
    problem = java_problem()
    if problem:
        raise SparkSetupError(problem)
    try:
        from pyspark.sql import SparkSession
    except ImportError as error:
        raise SparkSetupError(
            "pyspark is not installed: pip install -e '.[spark]' (make test-spark does)"
        ) from error
    builder = SparkSession.builder.enableHiveSupport()
    for key, value in session_config(profiles, environ).items():
        builder = builder.config(key, value)
    spark = builder.getOrCreate()
    spark.conf.set("spark.sql.execution.arrow.pyspark.enabled", "true")
    return spark


# --- clustering on plain Spark ---------------------------------------------------------------

def clustering_settings(manifest: Path) -> tuple[ClusteringConfig, str]:
    """The clustering config and eligibility dbt parsed for the (disabled) user_clusters model."""
    if not manifest.exists():
        raise SparkSetupError(f"{manifest} is missing: run dbt build --target spark first")
    data = json.loads(manifest.read_text())
    node_id = "model.segmart.user_clusters"
    node = data["nodes"].get(node_id) or (data.get("disabled", {}).get(node_id) or [None])[0]
    if node is None:
        raise SparkSetupError(f"{manifest} has no {node_id}")
    config = node["config"]
    return (ClusteringConfig.from_mapping(config.get("clustering")),
            config["clustering_eligibility"])


def _table_or_none(spark, name: str) -> pd.DataFrame | None:
    if not spark.catalog.tableExists(name):
        return None
    return spark.table(name).toPandas()


def cluster(spark, config: ClusteringConfig, eligibility: str, schema: str = "marts"
            ) -> dict[str, pd.DataFrame]:
    """The three clustering tables from user_features, as the dbt Python models make them."""
    features = spark.table(f"{schema}.user_features")
    columns = required_columns(features.columns, config)
    frame = features.where(eligibility).select(*columns).toPandas()
    as_of = frame["as_of"].max() if len(frame) else None
    prepared = prepare(frame, config)
    # the column the dbt model keeps its rows by; Spark rewrites the tables every run
    quality = quality_table(prepared, config, as_of)
    quality[COLUMN] = fingerprint({"features": frame},
                                  {"config": config, "eligibility": eligibility})
    previous = centroids_from_profiles(
        _table_or_none(spark, f"{schema}.cluster_profiles"), prepared.features)
    clusters = clusters_table(prepared, chosen_per_stage(quality), config, previous, as_of)
    profiles = profile_clusters(
        prepared, clusters[["user_id", "cluster_id", "cluster_label", "lifecycle_stage"]])
    profiles["as_of"] = as_of
    return {"clustering_quality": quality, "user_clusters": clusters,
            "cluster_profiles": profiles}


def write_tables(spark, tables: Mapping[str, pd.DataFrame], schema: str = "marts") -> None:
    """Replace each table in ``schema`` with its frame (Parquet, like the dbt models)."""
    for name, frame in tables.items():
        (spark.createDataFrame(frame).write.mode("overwrite").format("parquet")
         .saveAsTable(f"{schema}.{name}"))


# --- parity with DuckDB ------------------------------------------------------------------------

def _is_number(value: object) -> bool:
    return isinstance(value, int | float | decimal.Decimal) and not isinstance(value, bool)


def _same(left: object, right: object) -> bool:
    """Equal values across engines: numbers within the relative tolerance, timestamps to the
    microsecond whatever their type, JSON texts by content, the rest exactly."""
    if left is None or (isinstance(left, float) and math.isnan(left)):
        return right is None or (isinstance(right, float) and math.isnan(right))
    if right is None or (isinstance(right, float) and math.isnan(right)):
        return False
    if _is_number(left) and _is_number(right):
        return math.isclose(float(left), float(right), rel_tol=RELATIVE_TOLERANCE, abs_tol=0.0)
    if isinstance(left, datetime.datetime | datetime.date | np.datetime64):
        try:
            return pd.Timestamp(left).tz_localize(None) == pd.Timestamp(right).tz_localize(None)
        except (TypeError, ValueError):
            return False
    if isinstance(left, str) and isinstance(right, str) and left[:1] == "{" == right[:1]:
        try:
            return _same_json(json.loads(left), json.loads(right))
        except ValueError:
            return left == right
    return left == right


def _same_json(left: object, right: object) -> bool:
    if isinstance(left, dict) and isinstance(right, dict):
        return left.keys() == right.keys() and all(_same_json(left[k], right[k]) for k in left)
    if isinstance(left, str) and isinstance(right, str):
        if left == right:
            return True
        try:  # a timestamp: DuckDB writes '2025-01-01 10:00:00', Spark '2025-01-01T10:00:00Z'
            return pd.Timestamp(left).tz_localize(None) == pd.Timestamp(right).tz_localize(None)
        except (TypeError, ValueError):
            return False
    if isinstance(left, str) != isinstance(right, str):
        # a decimal: DuckDB writes 12.5, Spark may write "12.5000" or 12.5
        try:
            return _same(float(left), float(right))
        except (TypeError, ValueError):
            return False
    return _same(left, right)


def _cell(value: object) -> object:
    if value is None or value is pd.NaT:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    if hasattr(value, "item") and not isinstance(value, pd.Timestamp):
        return value.item()  # numpy scalar
    return value


def differences(duck: pd.DataFrame, spark: pd.DataFrame, keys: Sequence[str],
                limit: int = 20) -> list[str]:
    """Why two versions of one table differ (empty when they are equal row for row)."""
    problems: list[str] = []
    if sorted(duck.columns) != sorted(spark.columns):
        return [f"columns differ: duckdb {sorted(duck.columns)}, spark {sorted(spark.columns)}"]
    if len(duck) != len(spark):
        problems.append(f"row counts differ: duckdb {len(duck)}, spark {len(spark)}")
    left = duck.set_index(list(keys))
    right = spark.set_index(list(keys))
    for name, frame in (("duckdb", left), ("spark", right)):
        if not frame.index.is_unique:
            return problems + [f"{name} has duplicate keys {list(keys)}"]
    only_left = left.index.difference(right.index)
    only_right = right.index.difference(left.index)
    problems += [f"only in duckdb: {key}" for key in list(only_left)[:limit]]
    problems += [f"only in spark: {key}" for key in list(only_right)[:limit]]
    common = left.index.intersection(right.index)
    left, right = left.loc[common], right.loc[common]
    for column in left.columns:
        for key, a, b in zip(common, left[column].tolist(), right[column].tolist(), strict=True):
            if not _same(_cell(a), _cell(b)):
                problems.append(f"{column} at {key}: duckdb {a!r}, spark {b!r}")
                if len(problems) >= limit:
                    return problems
    return problems


def duckdb_only_segments() -> set[str]:
    """The segments of the predictive rules, which read DuckDB-only Python marts and so are
    built on DuckDB only (segmart.segments.duckdb_only_rules)."""
    from segmart.segments import duckdb_only_rules, rules

    only = duckdb_only_rules()
    return {segment for rule in rules() if rule.model in only for segment in rule.segments}


def duckdb_tables(duckdb_path: Path, tables: Sequence[str], schema: str = "marts"
                  ) -> dict[str, pd.DataFrame]:
    """Tables of a DuckDB warehouse as pandas frames, as Spark can build them: without the
    rows of DuckDB-only segments where a table has a segment column."""
    import duckdb

    from segmart.clustering import to_pandas

    skipped = duckdb_only_segments()
    with duckdb.connect(str(duckdb_path), read_only=True) as connection:
        frames = {table: to_pandas(connection.sql(f"select * from {schema}.{table}"))
                  for table in tables}
    return {table: frame[~frame["segment"].isin(skipped)].reset_index(drop=True)
            if "segment" in frame.columns else frame for table, frame in frames.items()}


def spark_tables(spark, tables: Sequence[str], schema: str = "marts"
                 ) -> dict[str, pd.DataFrame]:
    """Tables of the Spark warehouse as pandas frames."""
    return {table: spark.table(f"{schema}.{table}").toPandas() for table in tables}


def compare(spark, duckdb_path: Path, tables: Mapping[str, Sequence[str]] = PARITY_TABLES
            ) -> dict[str, list[str]]:
    """For each table, how the Spark build differs from the DuckDB build (empty: equal)."""
    duck = duckdb_tables(duckdb_path, list(tables))
    other = spark_tables(spark, list(tables))
    return {table: differences(duck[table], other[table], keys)
            for table, keys in tables.items()}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m segmart.spark", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--profiles", type=Path, default=Path("profiles.yml"))
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("check-java", help="exit 1 with the package to install if Java is missing")
    run = commands.add_parser("cluster", help="write the clustering tables on Spark")
    run.add_argument("--manifest", type=Path, default=Path("target/manifest.json"))
    check = commands.add_parser("compare", help="compare the parity marts with a DuckDB build")
    check.add_argument("--duckdb", type=Path, required=True)
    dump = commands.add_parser("dump", help="write tables of the Spark warehouse to Parquet")
    dump.add_argument("--out", type=Path, required=True)
    dump.add_argument("--schema", default="marts")
    dump.add_argument("tables", nargs="+")
    args = parser.parse_args(argv)

    import os

    try:
        if args.command == "check-java":
            problem = java_problem()
            if problem:
                print(f"segmart: {problem}", file=sys.stderr)
                return 1
            return 0
        spark = session(args.profiles, os.environ)
        if args.command == "cluster":
            config, eligibility = clustering_settings(args.manifest)
            tables = cluster(spark, config, eligibility)
            write_tables(spark, tables)
            for name, frame in tables.items():
                print(f"marts.{name}: {len(frame):,} rows")
            return 0
        if args.command == "dump":
            args.out.mkdir(parents=True, exist_ok=True)
            for table, frame in spark_tables(spark, args.tables, args.schema).items():
                frame.to_parquet(args.out / f"{table}.parquet", index=False)
            return 0
        found = compare(spark, args.duckdb)
        for table, problems in found.items():
            print(f"{table}: {'equal' if not problems else f'{len(problems)} difference(s)'}")
            for problem in problems:
                print(f"  {problem}")
        return 1 if any(found.values()) else 0
    except SparkSetupError as error:
        print(f"segmart: {error}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    raise SystemExit(main())
