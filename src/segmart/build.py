"""The scheduled build: `dbt build`, or nothing when nothing has changed since the last one.

    python -m segmart.build [--force] [dbt build arguments ...]

A build whose inputs are those of the last completed build computes the same warehouse, so
it is skipped and says so. The inputs are digested in five parts: the landing zone (every
landed file's path, size and modification time), the project (its dbt files and segmart's
Python source), the software (Python and every installed distribution's version), the
settings (every SEGMART_* environment variable) and the command (the dbt arguments). Time
is the sixth input: the warehouse's `main.segmart_build_state` row, written by the dbt hook
`record_build_state` when a build ends without an error, says from when the same files can
give another answer (a future-dated row comes due, a rejected file is checked again). Any
dbt run against the warehouse first drops that row (`forget_build_state`), so a build by
hand, a failed build or an interrupted one always leads to a real build next. Only the
DuckDB target is ever skipped. docs/incremental.md and decision 0010 say more.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import subprocess
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path

import duckdb

import segmart

STATE_TABLE = "main.segmart_build_state"
# the dbt project's folders whose files dbt reads (dbt_project.yml's *-paths)
PROJECT_FOLDERS = ("models", "macros", "seeds", "tests", "analyses", "snapshots")
PROJECT_FILES = ("dbt_project.yml", "profiles.yml", "packages.yml", "selectors.yml")
# what a reader is told changed, in this order
PARTS = ("landing", "project", "software", "settings", "command")
PART_NAMES = {
    "landing": "landing files",
    "project": "project files",
    "software": "installed software",
    "settings": "SEGMART_* settings",
    "command": "dbt arguments",
}


@dataclass(frozen=True)
class State:
    """The last completed build, as `record_build_state` and this module stored it."""

    built_at: datetime
    due_at: datetime | None
    inputs: dict[str, str] | None


@dataclass(frozen=True)
class Decision:
    build: bool
    reason: str


def _digest(lines: Iterable[str]) -> str:
    h = hashlib.sha256()
    for line in lines:
        h.update(line.encode("utf-8", "surrogateescape"))
        h.update(b"\n")
    return h.hexdigest()


def _is_landed(relative: Path) -> bool:
    # the landing contract: names starting with `.` or `_` (`_SUCCESS`, `.crc`, `_temporary/`)
    # are not landed files, and check_landing_files ignores them too
    return not any(part.startswith((".", "_")) for part in relative.parts)


def landing_digest(raw_dir: Path) -> str:
    """Every landed file's relative path, size and modification time; nothing is opened."""
    rows = []
    if raw_dir.is_dir():
        for path in raw_dir.rglob("*"):
            relative = path.relative_to(raw_dir)
            if _is_landed(relative) and path.is_file():
                stat = path.stat()
                rows.append(f"{relative.as_posix()}\t{stat.st_size}\t{stat.st_mtime_ns}")
    return _digest(sorted(rows))


def _content_lines(root: Path, files: Iterable[Path]) -> list[str]:
    lines = []
    for path in files:
        if path.is_file() and "__pycache__" not in path.parts:
            content = hashlib.sha256(path.read_bytes()).hexdigest()
            lines.append(f"{path.relative_to(root).as_posix()}\t{content}")
    return sorted(lines)


def project_digest(project_dir: Path, profiles_dir: Path) -> str:
    """The content of every file dbt reads in the project, the profile, and segmart's
    Python source (the Python models and plugins import it)."""
    # dot files are editors' and tools' (.DS_Store, .ipynb_checkpoints); `_models.yml` counts
    files = [p for folder in PROJECT_FOLDERS for p in (project_dir / folder).rglob("*")
             if not any(part.startswith(".") for part in p.relative_to(project_dir).parts)]
    files += [project_dir / name for name in PROJECT_FILES if name != "profiles.yml"]
    package = Path(segmart.__file__).parent
    lines = _content_lines(project_dir, files)
    lines += ["profile\t" + line for line in _content_lines(profiles_dir,
                                                             [profiles_dir / "profiles.yml"])]
    lines += ["segmart\t" + line for line in _content_lines(package, package.rglob("*.py"))]
    return _digest(lines)


def software_digest() -> str:
    versions = {(d.metadata["Name"] or "").lower(): d.version for d in metadata.distributions()}
    return _digest([sys.version, *(f"{name}=={v}" for name, v in sorted(versions.items()))])


def settings_digest(environ: Mapping[str, str]) -> str:
    # values are digested, never stored: SEGMART_PII_SALT is one of them
    return _digest(f"{k}={v}" for k, v in sorted(environ.items()) if k.startswith("SEGMART_"))


def inputs(project_dir: Path, environ: Mapping[str, str], dbt_args: list[str]) -> dict:
    """The five digests a build's result depends on besides time."""
    raw_dir = project_dir / environ.get("SEGMART_RAW_DIR", "data/raw")
    profiles_dir = project_dir / environ.get("DBT_PROFILES_DIR", str(project_dir))
    return {
        "landing": landing_digest(raw_dir),
        "project": project_digest(project_dir, profiles_dir),
        "software": software_digest(),
        "settings": settings_digest(environ),
        "command": _digest(dbt_args),
    }


def read_state(db: Path) -> State | None:
    """The stored state of the last completed build, or None (no warehouse, no completed
    build since the last dbt run, or a warehouse another process holds)."""
    if not db.is_file():
        return None
    try:
        with duckdb.connect(str(db), read_only=True) as con:
            found = con.execute(
                "select count(*) from information_schema.tables "
                "where table_schema = 'main' and table_name = 'segmart_build_state'"
            ).fetchone()[0]
            if not found:
                return None
            row = con.execute(f"select built_at, due_at, inputs from {STATE_TABLE}").fetchone()
    except duckdb.Error:
        return None
    if row is None:
        return None
    built_at, due_at, stored = row
    return State(built_at=built_at, due_at=due_at,
                 inputs=json.loads(stored) if stored else None)


def decide(state: State | None, current: dict[str, str], now: datetime, *,
           force: bool = False, full_refresh: bool = False, target: str = "dev") -> Decision:
    """Build, or skip, and why. `now` is naive UTC, as the warehouse stores time."""
    if force:
        return Decision(True, "--force")
    if full_refresh:
        return Decision(True, "--full-refresh")
    if target != "dev":
        return Decision(True, f"target '{target}': only the DuckDB target is ever skipped")
    if state is None or state.inputs is None:
        return Decision(True, "no completed build of segmart.build is recorded in the "
                              "warehouse since its last dbt run")
    changed = [PART_NAMES[p] for p in PARTS if state.inputs.get(p) != current.get(p)]
    if changed:
        return Decision(True, "changed since the build of "
                              f"{state.built_at:%Y-%m-%d %H:%M:%S} UTC: {', '.join(changed)}")
    if state.due_at is not None and state.due_at <= now:
        return Decision(True, f"due since {state.due_at:%Y-%m-%d %H:%M:%S} UTC: a "
                              "future-dated row or a rejected file is judged again")
    until = ("" if state.due_at is None
             else f"; nothing is due before {state.due_at:%Y-%m-%d %H:%M:%S} UTC")
    return Decision(False, f"nothing new since the build of {state.built_at:%Y-%m-%d %H:%M:%S}"
                           f" UTC (no landed file, project file, software, setting or argument "
                           f"changed{until}); the warehouse is current")


def record_inputs(db: Path, current: dict[str, str]) -> bool:
    """Add the inputs to the state row the build's on-run-end hook wrote; False if none."""
    with duckdb.connect(str(db)) as con:
        found = con.execute(
            "select count(*) from information_schema.tables "
            "where table_schema = 'main' and table_name = 'segmart_build_state'"
        ).fetchone()[0]
        if not found:
            return False
        con.execute(f"update {STATE_TABLE} set inputs = ?", [json.dumps(current)])
        return True


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m segmart.build", allow_abbrev=False,
        description="Run `dbt build ARGS`, unless nothing changed since the last completed "
                    "build of the same command; every other argument goes to dbt build.")
    parser.add_argument("--force", action="store_true",
                        help="build even when nothing changed")
    args, dbt_args = parser.parse_known_args(argv)
    project_dir = Path.cwd()
    environ = dict(os.environ)
    db = project_dir / environ.get("SEGMART_DB", "warehouse/segmart.duckdb")
    current = inputs(project_dir, environ, dbt_args)
    decision = decide(read_state(db), current, datetime.now(UTC).replace(tzinfo=None),
                      force=args.force, full_refresh="--full-refresh" in dbt_args,
                      target=environ.get("SEGMART_TARGET", "dev"))
    if not decision.build:
        print(f"segmart: skipped dbt build: {decision.reason}. "
              "To build anyway: make build FORCE=1", flush=True)
        return 0
    print(f"segmart: dbt build ({decision.reason})", flush=True)
    dbt = Path(sys.executable).parent / "dbt"
    code = subprocess.run([str(dbt), "build", *dbt_args], check=False).returncode
    if code == 0 and environ.get("SEGMART_TARGET", "dev") == "dev":
        record_inputs(db, current)
    return code


if __name__ == "__main__":
    sys.exit(main())
