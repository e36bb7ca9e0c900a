"""_macros.yml documents every public macro and dispatcher with its arguments; dispatch
variants (duckdb__, spark__, default__) and private helpers (_name) are documented in their
.sql file instead; and no macro's description lives in both places."""

from __future__ import annotations

import difflib
import re

import yaml

from conftest import PROJECT_ROOT

MACRO = re.compile(r"(?:\{#-?(?P<doc>(?:(?!#\}).)*?)-?#\}\s*\n)?"
                   r"\{%-?\s*(?P<kind>macro|test)\s+(?P<name>\w+)\s*\((?P<args>.*?)\)\s*-?%\}",
                   re.S)
VARIANT = re.compile(r"^(duckdb|spark|default)__|^_")
# Macros whose .sql docstring may still repeat the YAML (none left).
PENDING_DEDUPLICATION: set[str] = set()


def _macros() -> dict[str, tuple[list[str], str]]:
    found = {}
    files = [*(PROJECT_ROOT / "macros").rglob("*.sql"),
             *(PROJECT_ROOT / "tests" / "generic").glob("*.sql")]
    for path in files:
        for m in MACRO.finditer(path.read_text()):
            name = ("test_" if m["kind"] == "test" else "") + m["name"]
            args = [a.split("=")[0].strip() for a in m["args"].split(",") if a.strip()]
            found[name] = (args, " ".join((m["doc"] or "").split()))
    return found


def _entries() -> dict[str, dict]:
    doc = yaml.safe_load((PROJECT_ROOT / "macros" / "_macros.yml").read_text())
    return {entry["name"]: entry for entry in doc["macros"]}


def test_every_public_macro_is_documented_with_its_arguments():
    entries = _entries()
    for name, (args, _) in _macros().items():
        if VARIANT.match(name):
            continue
        assert name in entries, f"{name} is not in macros/_macros.yml"
        entry = entries[name]
        assert entry["description"].strip(), name
        assert "arguments" in entry, f"{name}: no arguments: list"
        documented = [a["name"] for a in entry["arguments"]]
        assert documented == args, f"{name}: arguments {documented}, signature {args}"
        for argument in entry["arguments"]:
            assert argument.get("type") and argument.get("description", "").strip(), \
                f"{name}.{argument['name']}"


def test_every_entry_is_a_macro_and_variants_are_documented_where_they_are():
    macros = _macros()
    for name in _entries():
        assert name in macros, f"_macros.yml documents {name}, which no file defines"
    for name, (_, doc) in macros.items():
        if VARIANT.match(name) and name not in _entries():
            assert doc, f"{name} has no docstring in its .sql file"


def test_each_description_lives_in_one_place():
    entries = _entries()
    for name, (_, doc) in _macros().items():
        if name not in entries or not doc or name in PENDING_DEDUPLICATION:
            continue
        ratio = difflib.SequenceMatcher(None, doc, entries[name]["description"]).ratio()
        assert ratio < 0.6, f"{name}: the .sql docstring repeats _macros.yml ({ratio:.2f})"
