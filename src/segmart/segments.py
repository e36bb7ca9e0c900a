"""Keep what is derived from the segment rules in step with them.

A segment rule is one SQL file, ``models/**/seg_<name>.sql``, and its YAML block. Two things
follow from the set of rules and are written here, never by hand:

- the ``-- depends_on:`` lines of ``segment_memberships.sql``: dbt orders a build only by the
  refs it sees while parsing, when its graph is still empty, so the union of the rules needs
  one ref per rule (docs/decisions/0002-segment-memberships.md);
- the segment table of ``docs/segments.md``, from each rule's YAML description.

``python -m segmart.segments`` rewrites both; ``--check`` only says whether they are up to
date (pre-commit and a pytest run it). ``make build``, ``make demo`` and ``make test`` run it
before dbt.
"""

from __future__ import annotations

import argparse
import re
import sys
from dataclasses import dataclass
from pathlib import Path

import yaml

PROJECT_ROOT = Path(__file__).resolve().parents[2]
MEMBERSHIPS = Path("models/marts/segments/segment_memberships.sql")
DOCS = Path("docs/segments.md")
REFS_BEGIN = ("{#- rules: written by `python -m segmart.segments`, one per seg_*.sql; "
              "do not edit -#}")
REFS_END = "{#- end of rules -#}"
TABLE_BEGIN = ("<!-- segment table: generated from the rules' YAML by "
               "`python -m segmart.segments`; do not edit -->")
TABLE_END = "<!-- end segment table -->"
CONTRACT_TESTS = {"segment_rule", "segment_members_are_persons"}
_SUMMARY_PREFIX = re.compile(r"^Segment \w+, one row per member person at as_of\.\s*")


@dataclass(frozen=True)
class Rule:
    """A segment rule model: its name, the segments it yields and its YAML description."""

    model: str
    segments: tuple[str, ...]
    description: str


def rule_files(root: Path = PROJECT_ROOT) -> list[str]:
    """The rule models' names, from the file names ``models/**/seg_*.sql``, sorted."""
    return sorted(path.stem for path in (root / "models").rglob("seg_*.sql"))


def rules(root: Path = PROJECT_ROOT) -> list[Rule]:
    """Every rule file with its YAML block; a rule without one is an error."""
    blocks: dict[str, dict] = {}
    for path in (root / "models").rglob("_*.yml"):
        for model in (yaml.safe_load(path.read_text()) or {}).get("models") or []:
            blocks[model["name"]] = model
    found = []
    for name in rule_files(root):
        if name not in blocks:
            raise ValueError(f"{name}.sql has no YAML block: copy one in _segments__models.yml")
        block = blocks[name]
        tests = {test if isinstance(test, str) else next(iter(test))
                 for test in block.get("data_tests") or []}
        if not tests >= CONTRACT_TESTS:
            raise ValueError(f"{name}: its YAML block needs data_tests: "
                             f"[{', '.join(sorted(CONTRACT_TESTS))}] (the contract of a rule)")
        meta = (block.get("config") or {}).get("meta") or block.get("meta") or {}
        segments = tuple(meta.get("segments") or [name.removeprefix("seg_")])
        description = " ".join((block.get("description") or "").split())
        found.append(Rule(name, segments, description))
    return found


def duckdb_only_rules(root: Path = PROJECT_ROOT) -> set[str]:
    """Rules under a ``predictive`` folder: they read DuckDB-only Python marts and are off on
    Spark (dbt_project.yml), so segment_memberships refs them on DuckDB only."""
    return {path.stem for path in (root / "models").rglob("seg_*.sql")
            if "predictive" in path.parent.parts}


def depends_on_block(names: list[str], duckdb_only: set[str] = frozenset()) -> str:
    def line(name: str) -> str:
        ref = f"-- depends_on: {{{{ ref('{name}') }}}}"
        if name in duckdb_only:
            return f"{{% if target.type == 'duckdb' %}}{ref}{{% endif %}}"
        return ref

    return "\n".join([REFS_BEGIN, *(line(name) for name in names), REFS_END])


def segment_table(found: list[Rule]) -> str:
    rows = ["| segment | rule model | rule (vars and their defaults) |", "| --- | --- | --- |"]
    for rule in found:
        names = ", ".join(f"`{name}`" for name in rule.segments)
        text = _SUMMARY_PREFIX.sub("", rule.description).replace("|", "\\|")
        rows.append(f"| {names} | `{rule.model}` | {text} |")
    return "\n".join(rows)


def _replace_between(text: str, begin: str, end: str, body: str, path: Path) -> str:
    if begin not in text or end not in text:
        raise ValueError(f"{path}: the markers {begin!r} … {end!r} are missing")
    head, rest = text.split(begin, 1)
    _, tail = rest.split(end, 1)
    return head + body + tail


def expected(root: Path = PROJECT_ROOT) -> dict[Path, str]:
    """Each derived file as it should read."""
    found = rules(root)
    memberships = (root / MEMBERSHIPS).read_text()
    docs = (root / DOCS).read_text()
    return {
        root / MEMBERSHIPS: _replace_between(memberships, REFS_BEGIN, REFS_END,
                                             depends_on_block([r.model for r in found],
                                                              duckdb_only_rules(root)),
                                             MEMBERSHIPS),
        root / DOCS: _replace_between(docs, TABLE_BEGIN, TABLE_END,
                                      f"{TABLE_BEGIN}\n{segment_table(found)}\n{TABLE_END}",
                                      DOCS),
    }


def sync(root: Path = PROJECT_ROOT, check: bool = False) -> list[Path]:
    """Rewrite the derived files (or, with check, only compare); return those out of date."""
    stale = []
    for path, text in expected(root).items():
        if path.read_text() != text:
            stale.append(path)
            if not check:
                path.write_text(text)
    return stale


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m segmart.segments", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--check", action="store_true",
                        help="only say whether the derived files are up to date")
    parser.add_argument("--project", type=Path, default=Path.cwd(),
                        help="the dbt project (default: the current directory)")
    args = parser.parse_args(argv)
    try:
        stale = sync(args.project, check=args.check)
    except ValueError as error:
        print(f"segmart.segments: {error}", file=sys.stderr)
        return 2
    for path in stale:
        verb = "out of date" if args.check else "updated"
        print(f"segmart.segments: {path.relative_to(args.project)} {verb}")
    if stale and args.check:
        print("segmart.segments: run `python -m segmart.segments` (make build does)",
              file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
