"""Keep a Python model's stored table when nothing it is computed from has changed.

The costly Python models (choosing k, fitting the propensity models, scoring lookalikes)
are pure functions of their input frames, their config and the code that runs them. Each
row they write carries ``inputs_fingerprint``, a hash of all of these; a build whose inputs
hash the same reads the stored rows back instead of fitting again. That is exact: the same
inputs give the same output, which is what a full refresh would write. Any change (a new
event, another as_of, a var, an edit of segmart or of the model, another library version)
gives another hash, and the model runs. Var segmart_keep_unchanged_fits: false makes
every build compute.
"""

from __future__ import annotations

import hashlib
import json
import platform
import sys
from collections.abc import Callable, Mapping
from dataclasses import asdict, is_dataclass
from functools import lru_cache
from importlib import metadata
from pathlib import Path
from types import CodeType
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from segmart.relations import to_arrow

COLUMN = "inputs_fingerprint"
#: libraries whose version can change a fitted model's output
LIBRARIES = ("duckdb", "lightgbm", "numpy", "pandas", "pyarrow", "scikit-learn", "scipy",
             "splink")


@lru_cache(maxsize=1)
def code_fingerprint() -> str:
    """Hash of segmart's own source files, Python's version, the machine's architecture
    (floating-point sums may differ on another) and the LIBRARIES' versions."""
    digest = hashlib.sha256(f"{sys.version} {platform.machine()}".encode())
    package = Path(__file__).parent
    for path in sorted(package.rglob("*.py")):
        digest.update(str(path.relative_to(package)).encode())
        digest.update(path.read_bytes())
    for library in LIBRARIES:
        try:
            digest.update(f"{library}={metadata.version(library)}".encode())
        except metadata.PackageNotFoundError:
            digest.update(f"{library}=none".encode())
    return digest.hexdigest()


def _frame_digest(frame: pd.DataFrame) -> bytes:
    """Hash of a frame's column names, types and rows, whatever order the rows come in
    (a DuckDB scan does not promise one)."""
    digest = hashlib.sha256(json.dumps(
        [[str(name), str(dtype)] for name, dtype in frame.dtypes.items()]).encode())
    rows = np.sort(pd.util.hash_pandas_object(frame, index=False).to_numpy())
    digest.update(rows.tobytes())
    return digest.digest()


def _plain(value: Any) -> Any:
    if is_dataclass(value) and not isinstance(value, type):
        return asdict(value)
    return str(value)


def _code_digest(code: CodeType, digest, names: Mapping[str, Any]) -> None:
    """Adds a function's bytecode, names and constants, nested functions (a lambda) by
    their own code rather than their repr, which holds a memory address. A name the model
    file imports counts by where it comes from (module and qualified name), so importing
    another function under the same name counts as an edit."""
    digest.update(code.co_code)
    for name in code.co_names:
        found = names.get(name)
        origin = (getattr(found, "__module__", None), getattr(found, "__qualname__", None))
        digest.update(f"{name}={origin}".encode())
    for constant in code.co_consts:
        if isinstance(constant, CodeType):
            _code_digest(constant, digest, names)
        elif isinstance(constant, frozenset):
            # a set's order (and so its repr) changes with the interpreter's hash seed
            digest.update(repr(sorted(map(repr, constant))).encode())
        else:
            digest.update(repr(constant).encode())


def fingerprint(frames: Mapping[str, pd.DataFrame], settings: Any = None,
                model: Callable | None = None) -> str:
    """Hash of the input frames (by name), the settings (JSON-able values, dataclasses,
    timestamps) and the code: segmart's sources and, when given, the dbt model function's
    own code, so an edit of the model file counts too."""
    digest = hashlib.sha256(code_fingerprint().encode())
    digest.update(json.dumps(settings, sort_keys=True, default=_plain).encode())
    if model is not None:
        _code_digest(model.__code__, digest, model.__globals__)
    for name in sorted(frames):
        digest.update(name.encode())
        digest.update(_frame_digest(frames[name]))
    return digest.hexdigest()[:32]


def stored_table(connection, relation: str, current: str):
    """The stored rows of ``relation`` as an Arrow table (so every column keeps its stored
    type) when every one carries the ``current`` fingerprint; None when there is no table
    yet, it has no such column, it is empty or was computed from other inputs."""
    try:
        count, other = connection.execute(
            f"select count(*), count(*) filter (where {COLUMN} is distinct from ?) "
            f"from {relation}", [current]).fetchall()[0]
    except Exception:  # noqa: BLE001 - no table yet, or one from before the column
        return None
    if count == 0 or other:
        return None
    return to_arrow(connection.sql(f"select * from {relation}"))


def with_fingerprint(frame, current: str):
    """``frame`` (pandas or Arrow) with its ``inputs_fingerprint`` column."""
    if isinstance(frame, pa.Table):
        return frame.append_column(COLUMN, pa.array([current] * frame.num_rows, pa.string()))
    return frame.assign(**{COLUMN: pd.Series(current, index=frame.index, dtype="string")})


def reuse_or_compute(connection, relation: str, frames: Mapping[str, pd.DataFrame],
                     settings: Any, compute: Callable[[], pd.DataFrame],
                     model: Callable | None = None, keep: object = True):
    """The stored rows of ``relation`` (Arrow) if they were computed from these inputs,
    else ``compute()`` with the fingerprint attached. keep: false (the model's config
    keep_unchanged_fits, var segmart_keep_unchanged_fits) always computes."""
    current = fingerprint(frames, settings, model)
    if str(keep).strip().lower() in {"false", "0", "no"}:
        return with_fingerprint(compute(), current)
    stored = stored_table(connection, relation, current)
    if stored is not None:
        return stored
    return with_fingerprint(compute(), current)
