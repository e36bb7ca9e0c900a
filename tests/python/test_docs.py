"""Documentation is complete: `dbt docs generate` works on a built warehouse, and every model,
column, macro, exposure and var is described."""

from __future__ import annotations

import json
import re
import shutil

import pytest
import yaml

from conftest import PROJECT_ROOT, run_dbt


def _project_vars() -> list[str]:
    project = yaml.safe_load((PROJECT_ROOT / "dbt_project.yml").read_text())
    return list(project["vars"])


DOCS = PROJECT_ROOT / "docs"
README_MAX_LINES = 250


def _docs_text() -> str:
    return "\n".join(p.read_text() for p in sorted(DOCS.rglob("*.md")))


def test_every_var_is_commented_in_the_project_and_named_in_the_docs():
    lines = (PROJECT_ROOT / "dbt_project.yml").read_text().splitlines()
    docs = _docs_text()
    start = lines.index("vars:")
    for name in _project_vars():
        row = next(i for i in range(start, len(lines))
                   if re.match(rf"\s+{re.escape(name)}:", lines[i]))
        # a comment right above, or above the group of settings it belongs to
        above = row - 1
        while above > start and re.match(r"\s+[a-z_]+:", lines[above]):
            above -= 1
        assert lines[above].strip().startswith("#"), f"var {name} has no comment"
        assert f"`{name}`" in docs, f"var {name} is not named in docs/"


def test_readme_is_a_short_guide_whose_links_resolve():
    readme = (PROJECT_ROOT / "README.md").read_text()
    assert len(readme.splitlines()) <= README_MAX_LINES
    for command in ("make demo", "make test"):
        assert f"{command}  " in readme or f"{command}\n" in readme or f"`{command}`" in readme
    checked = {PROJECT_ROOT / "README.md": readme}
    checked.update({p: p.read_text() for p in DOCS.rglob("*.md")})
    for path, text in checked.items():
        for target in re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", text):
            if target.startswith(("http://", "https://")):
                continue
            assert (path.parent / target).exists(), f"{path.name}: broken link {target}"


def test_every_docs_page_is_linked_from_the_readme():
    readme = (PROJECT_ROOT / "README.md").read_text()
    for page in sorted(DOCS.glob("*.md")):
        assert f"docs/{page.name}" in readme, f"docs/{page.name} is not linked from the README"


def test_decision_records_have_context_decision_consequences():
    records = sorted((DOCS / "decisions").glob("[0-9][0-9][0-9][0-9]-*.md"))
    assert records
    for record in records:
        headings = re.findall(r"^## (.+)$", record.read_text(), re.M)
        assert headings[:3] == ["Context", "Decision", "Consequences"], record.name


@pytest.mark.e2e
def test_docs_generate_describes_every_node(built, tmp_path):
    db_copy = tmp_path / "docs.duckdb"
    shutil.copy(built.db_path, db_copy)
    result = run_dbt(["docs", "generate", "--vars", json.dumps({"as_of": built.as_of})],
                     built.raw_dir, db_copy, tmp_path)
    assert result.returncode == 0, result.stdout[-4000:]
    target = tmp_path / "target"
    assert (target / "index.html").exists()
    manifest = json.loads((target / "manifest.json").read_text())
    catalog = json.loads((target / "catalog.json").read_text())

    models = {k: v for k, v in manifest["nodes"].items()
              if v["resource_type"] in ("model", "seed") and v["package_name"] == "segmart"}
    assert len(models) > 50
    for key, node in models.items():
        assert node["description"].strip(), f"{key} has no description"
        documented = {c.lower() for c, col in node["columns"].items()
                      if col["description"].strip()}
        if key in catalog["nodes"]:  # ephemeral models are not in the catalog
            built_columns = {c.lower() for c in catalog["nodes"][key]["columns"]}
            missing = sorted(built_columns - documented)
            assert not missing, f"{key}: columns without a description {missing}"

    macros = {k: v for k, v in manifest["macros"].items() if v["package_name"] == "segmart"}
    assert len(macros) > 30
    # dispatch variants and private helpers are documented in their .sql file
    # (test_macros_doc.py); every public macro and dispatcher here
    undocumented = sorted(m["name"] for m in macros.values() if not m["description"].strip()
                          and not re.match(r"(duckdb|spark|default)__|_", m["name"]))
    assert not undocumented, f"macros without a description: {undocumented}"

    exposures = manifest["exposures"]
    assert {e["name"] for e in exposures.values()} == {"segment_dashboard", "activation_export"}
    for exposure in exposures.values():
        assert exposure["description"].strip()
        assert exposure["depends_on"]["nodes"], exposure["name"]
    assert manifest["docs"]["doc.segmart.__overview__"]["block_contents"].strip()


# Files other branches are changing (issues 21, 22, 24); their docstrings move to docs/ after
# those merges.
LONG_DOCSTRING_PENDING = {"base_crm__customers", "stg_crm__erased_identities",
                          "base_shop__order_lines", "base_tracking__events"}


def test_model_docstrings_are_at_most_five_lines():
    for path in sorted((PROJECT_ROOT / "models").rglob("*.sql")):
        match = re.search(r"\{#-?(.*?)-?#\}", path.read_text(), re.S)
        if not match or path.stem in LONG_DOCSTRING_PENDING:
            continue
        lines = len(match.group(0).splitlines())
        assert lines <= 5, f"{path.name}: a {lines}-line docstring; the long story goes to docs/"
