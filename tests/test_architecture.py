"""The layout a newcomer relies on: which package may import which, and folders kept small."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

#: Packages each package must never import (the arrows that must not exist).
FORBIDDEN = {
    "core": {"panel", "surveys", "api", "stats", "initiatives"},
    "stats": {
        "core",
        "panel",
        "surveys",
        "api",
        "initiatives",
        "flask",
        "sqlalchemy",
        "extensions",
    },
    "panel": {"surveys", "api", "initiatives"},
    "surveys": {"api", "initiatives"},
    # proposals and ideas build on panel, core and (for a wave about a proposal) surveys
    "initiatives": {"api"},
}

#: Folders inside a package and the modules they must never import: the questionnaires (and
#: their question types) know nothing of the answers and results built on them.
FORBIDDEN_INSIDE = {
    "surveys/questionnaires": ("surveys.answering", "surveys.results"),
}


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module)
    return found


def imported_packages(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module.split(".")[0])
    return found


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_no_package_imports_what_builds_on_it(package):
    offending = {
        str(path.relative_to(ROOT)): sorted(imported_packages(path) & FORBIDDEN[package])
        for path in (ROOT / package).rglob("*.py")
    }
    assert {path: names for path, names in offending.items() if names} == {}


@pytest.mark.parametrize("folder", sorted(FORBIDDEN_INSIDE))
def test_no_folder_imports_what_builds_on_it(folder):
    forbidden = FORBIDDEN_INSIDE[folder]
    offending = {
        str(path.relative_to(ROOT)): sorted(
            module
            for module in imported_modules(path)
            if any(module == name or module.startswith(name + ".") for name in forbidden)
        )
        for path in (ROOT / folder).rglob("*.py")
    }
    assert {path: names for path, names in offending.items() if names} == {}


def test_the_check_sees_an_import_written_inside_a_function(tmp_path):
    source = tmp_path / "module.py"
    source.write_text("def f():\n    from surveys.answering.models import Response\n")
    assert imported_packages(source) == {"surveys"}
    assert imported_modules(source) == {"surveys.answering.models"}


def test_no_folder_holds_more_than_fifteen_modules():
    folders = {
        path.parent
        for package in ("core", "stats", "panel", "surveys", "api", "initiatives")
        for path in (ROOT / package).rglob("*.py")
    }
    crowded = {
        str(folder.relative_to(ROOT)): count
        for folder in folders
        if (count := len([p for p in folder.glob("*.py") if p.name != "__init__.py"])) > 15
    }
    assert crowded == {}


def test_each_url_prefix_is_served_by_one_blueprint(app):
    """A URL names the folder that serves it: every route belongs to the blueprint whose
    prefix is the longest that matches it (``/staff/waves/plans`` is the plans', the rest
    of ``/staff/waves`` the waves'). The JSON API is one area under its own prefix."""
    from api import PREFIX as API_PREFIX

    def area(endpoint: str) -> str:
        name = endpoint.partition(".")[0]
        return "api" if name.startswith(("api_", "api-docs")) and name != "api_staff" else name

    prefixes: dict[str, str] = {"api": API_PREFIX}
    for name, blueprint in app.blueprints.items():
        if area(name) != "api":
            prefixes[name] = (blueprint.url_prefix or "").rstrip("/")
    assert len(set(prefixes.values())) == len(prefixes), prefixes  # no prefix is shared

    def owner(rule: str) -> str:
        matching = [
            (len(prefix), name)
            for name, prefix in prefixes.items()
            if rule == prefix or rule.startswith(prefix + "/")
        ]
        return max(matching)[1]

    strays = {
        rule.rule: rule.endpoint
        for rule in app.url_map.iter_rules()
        if rule.endpoint != "static" and owner(rule.rule) != area(rule.endpoint)
    }
    assert strays == {}
