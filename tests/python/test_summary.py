"""The summary printed at the end of `make demo`."""

from __future__ import annotations

import duckdb
import pytest

from segmart.summary import collect, main, render


@pytest.mark.e2e
def test_summary_of_a_built_warehouse(built, capsys):
    assert main(["--db", str(built.db_path)]) == 0
    out = capsys.readouterr().out
    persons = built.query("select count(*) from marts.user_profiles")[0][0]
    assert f"persons           {persons:,}" in out
    assert "reconciles" in out and " NO" not in out
    assert "champions" in out


def test_summary_of_an_empty_warehouse_prints_the_header(tmp_path):
    db = tmp_path / "empty.duckdb"
    duckdb.connect(str(db)).close()
    with duckdb.connect(str(db), read_only=True) as con:
        figures = collect(con)
    assert figures == {}
    assert "segmart summary" in render(figures)


def test_missing_warehouse_says_what_to_run(tmp_path, capsys):
    assert main(["--db", str(tmp_path / "none.duckdb")]) == 1
    assert "make demo" in capsys.readouterr().err
