"""The scheduled build: `dbt build`, or nothing when nothing has changed since the last one.

    python -m segmart.build [--force] [dbt build arguments ...]

A build whose inputs are those of the last completed build computes the same warehouse, so
it is skipped and says so. The inputs are digested in five parts: the landing zone (every
landed file's path, size and modification time), the project (its dbt files and segmart's
Python source), the software (Python and every installed distribution's version), the
environment (every SEGMART_* and DBT_* variable) and the command (the dbt arguments). Time
is the sixth input: the warehouse's `main.segmart_build_state` row, written by the dbt hook
`record_build_state` when a build ends without an error, says from when the same files can
give another answer (a future-dated row comes due, a rejected file is checked again). A dbt
build, run, test, seed, snapshot or clone first drops that row (`forget_build_state`), so a
build by hand, a failed build or an interrupted one leads to a real build next. Only the
project in the working directory, on its DuckDB target `dev`, is ever skipped.
docs/incremental.md and decision 0010 say more.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import signal
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
PARTS = ("landing", "project", "software", "environment", "command")
PART_NAMES = {
    "landing": "landing files",
    "project": "project files",
    "software": "installed software",
    "environment": "SEGMART_* or DBT_* variables",
    "command": "dbt arguments",
}
# dbt options that point the build at another project, profile or target: never skipped
ELSEWHERE_OPTIONS = ("--project-dir", "--profiles-dir", "--profile")
TARGET_OPTIONS = ("--target", "-t")
FULL_REFRESH_OPTIONS = ("--full-refresh", "-f")


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


def landing_root(project_dir: Path, environ: Mapping[str, str]) -> Path:
    """$SEGMART_RAW_DIR as the landing_path macro and DuckDB read it: trimmed, `~` expanded."""
    raw = environ.get("SEGMART_RAW_DIR", "data/raw").strip().replace("\\", "/")
    return project_dir / Path(raw).expanduser()


def landed_files(raw_dir: Path) -> list[str]:
    """Every landed file's relative path, size and modification time; nothing is opened.
    Linked folders are followed, as DuckDB's glob follows them."""
    rows = []
    for folder, _, names in os.walk(raw_dir, followlinks=True):
        for name in names:
            path = Path(folder) / name
            relative = path.relative_to(raw_dir)
            if _is_landed(relative) and path.is_file():
                stat = path.stat()
                rows.append(f"{relative.as_posix()}\t{stat.st_size}\t{stat.st_mtime_ns}")
    return sorted(rows)


def landing_digest(raw_dir: Path) -> str:
    return _digest(landed_files(raw_dir))


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


def environment_digest(environ: Mapping[str, str]) -> str:
    # dbt reads its options from DBT_* too (DBT_EMPTY, DBT_TARGET, ...). Values are digested,
    # never stored: SEGMART_PII_SALT is one of them
    return _digest(f"{k}={v}" for k, v in sorted(environ.items())
                   if k.startswith(("SEGMART_", "DBT_")))


def inputs(project_dir: Path, environ: Mapping[str, str], dbt_args: list[str]) -> dict:
    """The five digests a build's result depends on besides time."""
    profiles_dir = project_dir / Path(environ.get("DBT_PROFILES_DIR", str(project_dir)))
    return {
        "landing": landing_digest(landing_root(project_dir, environ)),
        "project": project_digest(project_dir, profiles_dir),
        "software": software_digest(),
        "environment": environment_digest(environ),
        "command": _digest(dbt_args),
    }


def _option(args: list[str], names: tuple[str, ...]) -> str | None:
    """The value of the last of `names` in args (`--name value` or `--name=value`)."""
    found = None
    for i, arg in enumerate(args):
        for name in names:
            if arg == name and i + 1 < len(args):
                found = args[i + 1]
            elif arg.startswith(name + "=") and name.startswith("--"):
                found = arg.split("=", 1)[1]
    return found


def where_it_builds(dbt_args: list[str], environ: Mapping[str, str]) -> str | None:
    """Why this build is not the project's own DuckDB build, or None when it is."""
    for name in ELSEWHERE_OPTIONS:
        if _option(dbt_args, (name,)) is not None or any(a == name for a in dbt_args):
            return f"{name} given"
    for variable in ("DBT_PROJECT_DIR", "DBT_PROFILE"):
        if environ.get(variable):
            return f"{variable} set"
    target = (_option(dbt_args, TARGET_OPTIONS) or environ.get("DBT_TARGET")
              or environ.get("SEGMART_TARGET") or "dev")
    if target != "dev":
        return f"target '{target}'"
    return None


def is_full_refresh(dbt_args: list[str], environ: Mapping[str, str]) -> bool:
    flag = environ.get("DBT_FULL_REFRESH", "").strip().lower()
    return any(a in FULL_REFRESH_OPTIONS for a in dbt_args) or flag in ("1", "true", "yes")


def _has_state_table(con: duckdb.DuckDBPyConnection) -> bool:
    return con.execute(
        "select count(*) from information_schema.tables "
        "where table_schema = 'main' and table_name = 'segmart_build_state'").fetchone()[0] > 0


def read_state(db: Path) -> State | None:
    """The stored state of the last completed build, or None (no warehouse, or no completed
    build since the last dbt run). A warehouse that cannot be read raises duckdb.Error."""
    if not db.is_file():
        return None
    with duckdb.connect(str(db), read_only=True) as con:
        if not _has_state_table(con):
            return None
        row = con.execute(f"select built_at, due_at, inputs from {STATE_TABLE}").fetchone()
    if row is None:
        return None
    built_at, due_at, stored = row
    return State(built_at=built_at, due_at=due_at,
                 inputs=json.loads(stored) if stored else None)


def decide(state: State | None, current: dict[str, str], now: datetime, *,
           force: bool = False, full_refresh: bool = False,
           elsewhere: str | None = None) -> Decision:
    """Build, or skip, and why. `now` is naive UTC, as the warehouse stores time;
    `elsewhere` is where_it_builds' answer."""
    if force:
        return Decision(True, "--force")
    if full_refresh:
        return Decision(True, "a full refresh")
    if elsewhere:
        return Decision(True, f"{elsewhere}: only this project's own DuckDB target `dev` is "
                              "ever skipped")
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
                           f" UTC (no landed file, project file, package, variable or argument "
                           f"changed{until}); the warehouse is current")


def record_inputs(db: Path, invocation_id: str | None, current: dict[str, str]) -> bool:
    """Add the inputs to the state row that this invocation's on-run-end hook wrote; False
    when it wrote none (a failed test, another target, a warehouse elsewhere)."""
    if invocation_id is None or not db.is_file():
        return False
    with duckdb.connect(str(db)) as con:
        if not _has_state_table(con):
            return False
        updated = con.execute(f"update {STATE_TABLE} set inputs = ? where invocation_id = ?",
                              [json.dumps(current), invocation_id]).fetchone()[0]
        return updated > 0


def invocation_id(target_path: Path) -> str | None:
    """The invocation id of the dbt run that wrote target_path's run_results.json."""
    try:
        return json.loads((target_path / "run_results.json").read_text())["metadata"][
            "invocation_id"]
    except (OSError, ValueError, KeyError):
        return None


def run_dbt(command: list[str]) -> int:
    """dbt in a child process; a scheduler's SIGTERM is passed on, so dbt stops cleanly and
    lets the warehouse go. Ctrl-C reaches dbt from the terminal itself."""
    child = subprocess.Popen(command)
    previous = {sig: signal.signal(sig, handler) for sig, handler in [
        (signal.SIGTERM, lambda sig, _: child.send_signal(sig)),
        (signal.SIGINT, signal.SIG_IGN)]}
    try:
        code = child.wait()
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    return 128 - code if code < 0 else code


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
    db = project_dir / Path(environ.get("SEGMART_DB", "warehouse/segmart.duckdb")).expanduser()
    current = inputs(project_dir, environ, dbt_args)
    try:
        state = read_state(db)
    except duckdb.Error as error:
        print(f"segmart: cannot read the build state of {db} "
              f"({str(error).splitlines()[0]}); building", flush=True)
        state = None
    decision = decide(state, current, datetime.now(UTC).replace(tzinfo=None),
                      force=args.force, full_refresh=is_full_refresh(dbt_args, environ),
                      elsewhere=where_it_builds(dbt_args, environ))
    if not decision.build:
        print(f"segmart: skipped dbt build: {decision.reason}. "
              "To build anyway: make build FORCE=1", flush=True)
        return 0
    print(f"segmart: dbt build ({decision.reason})", flush=True)
    code = run_dbt([str(Path(sys.executable).parent / "dbt"), "build", *dbt_args])
    if code == 0 and where_it_builds(dbt_args, environ) is None:
        target_path = project_dir / Path(_option(dbt_args, ("--target-path",))
                                         or environ.get("DBT_TARGET_PATH") or "target")
        try:
            recorded = record_inputs(db, invocation_id(target_path), current)
        except duckdb.Error as error:
            recorded = False
            print(f"segmart: {str(error).splitlines()[0]}", flush=True)
        if not recorded:
            print("segmart: this build left no state to compare with, so the next one will "
                  "not be skipped", flush=True)
    return code


if __name__ == "__main__":
    sys.exit(main())
