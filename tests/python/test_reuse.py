"""segmart.reuse: a Python model's stored rows are kept exactly when its inputs hash the same."""

from __future__ import annotations

import duckdb
import pandas as pd
import pyarrow as pa
import pytest

from segmart import reuse


@pytest.fixture
def frame() -> pd.DataFrame:
    return pd.DataFrame({"user_id": ["a", "b", "c"], "score": [1.5, None, 3.0],
                         "orders": pd.array([1, None, 2], dtype="Int64")})


def _model_from_source(source: str):
    """A model function compiled as dbt compiles one, in a namespace of its own."""
    namespace: dict = {}
    exec(compile(source, "<model>", "exec"), namespace)  # noqa: S102 - test fixture source
    return namespace["model"]


MODEL = "def model(dbt, session):\n    return (lambda: dbt.ref('x'))()\n"


def test_the_fingerprint_ignores_row_order_and_follows_every_input(frame):
    settings = {"seed": 7, "as_of": pd.Timestamp("2025-01-01 13:37:05")}
    base = reuse.fingerprint({"features": frame}, settings)
    assert base == reuse.fingerprint({"features": frame.iloc[::-1]}, settings)
    others = [
        reuse.fingerprint({"features": frame.assign(score=[1.5, None, 3.5])}, settings),
        reuse.fingerprint({"features": frame.iloc[:2]}, settings),
        reuse.fingerprint({"features": frame.rename(columns={"score": "p"})}, settings),
        reuse.fingerprint({"features": frame.astype({"score": "float32"})}, settings),
        reuse.fingerprint({"other": frame}, settings),
        reuse.fingerprint({"features": frame}, {**settings, "seed": 8}),
        reuse.fingerprint({"features": frame},
                          {**settings, "as_of": pd.Timestamp("2025-01-01 13:37:06")}),
    ]
    assert base not in others and len(set(others)) == len(others)


def test_the_model_counts_by_its_code_not_its_address(frame):
    first, again = _model_from_source(MODEL), _model_from_source(MODEL)
    edited = _model_from_source(MODEL.replace("'x'", "'y'"))
    assert first is not again
    assert (reuse.fingerprint({"f": frame}, None, first)
            == reuse.fingerprint({"f": frame}, None, again))
    assert (reuse.fingerprint({"f": frame}, None, first)
            != reuse.fingerprint({"f": frame}, None, edited))
    assert (reuse.fingerprint({"f": frame}, None, first)
            != reuse.fingerprint({"f": frame}, None))


def test_the_code_fingerprint_covers_segmart_and_the_libraries(frame, monkeypatch):
    base = reuse.fingerprint({"f": frame})
    monkeypatch.setattr(reuse, "code_fingerprint", lambda: "another segmart")
    assert reuse.fingerprint({"f": frame}) != base
    assert {"lightgbm", "scikit-learn", "splink"} <= set(reuse.LIBRARIES)


def test_stored_rows_are_kept_only_under_the_current_fingerprint(frame):
    con = duckdb.connect()
    con.execute("create schema marts")
    computed = []

    def compute() -> pd.DataFrame:
        computed.append(1)
        return frame

    def build(inputs: pd.DataFrame):
        result = reuse.reuse_or_compute(con, "marts.scores", {"features": inputs}, {"k": 1},
                                        compute)
        con.register("result", result)
        con.execute("create or replace table marts.scores as select * from result")
        con.unregister("result")
        return result

    first = build(frame)  # no table yet
    assert computed == [1] and isinstance(first, pd.DataFrame)
    assert first[reuse.COLUMN].nunique() == 1
    types = con.execute("describe marts.scores").fetchall()

    kept = build(frame.sample(frac=1.0, random_state=1))
    assert computed == [1] and isinstance(kept, pa.Table)
    assert con.execute("describe marts.scores").fetchall() == types  # Int64 stays BIGINT

    build(frame.assign(score=0.0))
    assert computed == [1, 1]


def test_an_arrow_result_gets_the_column_too(frame):
    table = reuse.with_fingerprint(pa.Table.from_pandas(frame, preserve_index=False), "abc")
    assert table.column(reuse.COLUMN).to_pylist() == ["abc"] * 3
    assert table.schema.field(reuse.COLUMN).type == pa.string()


@pytest.mark.parametrize("table_sql", [
    "create table marts.scores (user_id varchar)",  # from before the column
    "create table marts.scores (user_id varchar, inputs_fingerprint varchar)",  # empty
    "create table marts.scores as select * from (values ('a', 'x'), ('b', 'y')) "
    "as t (user_id, inputs_fingerprint)",  # two builds' rows mixed
])
def test_a_table_that_cannot_prove_its_inputs_is_computed_again(table_sql):
    con = duckdb.connect()
    con.execute("create schema marts")
    con.execute(table_sql)
    assert reuse.stored_table(con, "marts.scores", "x") is None
    assert reuse.stored_table(con, "marts.missing", "x") is None
