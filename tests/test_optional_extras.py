"""The core install (`pip install safealign`: no extras; `make run` adds [serve]) imports every pipeline module; a
missing extra is one clear line."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import tomllib
from pathlib import Path

import pytest
from typer.testing import CliRunner

from safealign.cli.main import app
from safealign.errors import OPTIONAL_MODULES

# Modules that belong to an extra on purpose: the OpenAI-compatible server and the monitor gateway.
EXTRA_PACKAGES = ("safealign.serve", "safealign.monitor")


def test_core_modules_import_without_the_optional_extras():
    # A core install has no extras; a module-level import of one of their packages broke the CLI there
    # (httpx, 2026-11-30) while the dev install hid it. Block them all and import the rest.
    script = textwrap.dedent(f"""
        import importlib, pkgutil, sys
        for name in {sorted(OPTIONAL_MODULES)!r}:
            sys.modules[name] = None  # as if not installed: import raises ModuleNotFoundError, find_spec gives None
        import safealign
        failed = []
        for module in pkgutil.walk_packages(safealign.__path__, "safealign."):
            if module.name.startswith({EXTRA_PACKAGES!r}):
                continue
            try:
                importlib.import_module(module.name)
            except Exception as error:
                failed.append(f"{{module.name}}: {{error!r}}")
        print("\\n".join(failed))
        sys.exit(1 if failed else 0)
    """)
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout + result.stderr


def test_a_missing_extra_names_the_install_command(monkeypatch):
    monkeypatch.setitem(sys.modules, "uvicorn", None)  # `import uvicorn` now raises ModuleNotFoundError
    result = CliRunner().invoke(app, ["serve", "tiny"])
    assert result.exit_code == 2, result.output
    assert "pip install 'safealign[serve]'" in result.output and "uvicorn" in result.output
    assert "Traceback" not in result.output


def test_a_core_install_validates_a_monitor_section(monkeypatch, tmp_path):
    """The sqlite: URL check imported SQLAlchemy (the serve extra): `safealign validate` failed on any monitor: section."""
    make_url = pytest.importorskip("sqlalchemy.engine").make_url
    from safealign.config.sections import _sqlite_database

    urls = [
        "sqlite:///runs/m.db",
        "sqlite:////abs/m.db",
        "sqlite://",
        "sqlite:///:memory:",
        "sqlite:///%3Amemory%3A",
        "sqlite:///m%20db.db?mode=ro",
        "sqlite://user:pw@host:5/m.db",
        "sqlite:///",
        "sqlite:",
    ]
    expected = {}
    for url in urls:  # as SQLAlchemy reads them, the store's own parser
        try:
            expected[url] = make_url(url).database or ""
        except Exception:  # noqa: BLE001 - ArgumentError: not a URL
            expected[url] = None
    for name in [name for name in sys.modules if name.split(".")[0] in OPTIONAL_MODULES]:
        monkeypatch.delitem(sys.modules, name)  # a loaded submodule would import without its package
    for name in OPTIONAL_MODULES:
        monkeypatch.setitem(sys.modules, name, None)  # as if not installed: the core install
    assert {url: _sqlite_database(url) for url in urls} == expected
    recipe = tmp_path / "monitor.yaml"
    recipe.write_text(
        "model: {name: tiny}\nmonitor:\n  upstream: http://localhost:8000\n  db: sqlite:///runs/m.db\n"
    )
    result = CliRunner().invoke(app, ["validate", str(recipe)])
    assert result.exit_code == 0, result.output
    recipe.write_text("model: {name: tiny}\nmonitor:\n  db: 'sqlite://'\n")
    result = CliRunner().invoke(app, ["validate", str(recipe)])
    assert result.exit_code != 0 and "in-memory SQLite" in result.output, result.output


PROJECT = tomllib.loads((Path(__file__).parents[1] / "pyproject.toml").read_text())["project"]


def declared_requirements() -> list[str]:
    """The dependencies pyproject.toml declares: the core ones and every extra's (safealign's own extras left out)."""
    extras = [req for group in PROJECT["optional-dependencies"].values() for req in group]
    return [req for req in PROJECT["dependencies"] + extras if not req.startswith("safealign")]


def test_requires_python_is_what_every_dependency_needs():
    """requires-python said >=3.10 while trl>=1.16 and transformers>=5 need 3.11: pip on 3.10 found no trl to install."""
    from importlib import metadata

    from packaging.requirements import Requirement
    from packaging.specifiers import SpecifierSet

    ours = SpecifierSet(PROJECT["requires-python"])
    oldest = next(f"3.{minor}.0" for minor in range(8, 40) if f"3.{minor}.0" in ours)
    checked, refused = 0, []
    for text in declared_requirements():
        requirement = Requirement(text)
        if requirement.marker is not None and not requirement.marker.evaluate(
            {"python_version": oldest[:-2]}
        ):
            continue
        try:
            needs = metadata.metadata(requirement.name).get("Requires-Python") or ""
        except metadata.PackageNotFoundError:  # an extra not installed here (gpu, garak)
            continue
        checked += 1
        if oldest not in SpecifierSet(needs):
            refused.append(f"{requirement.name} (installed) needs Python {needs}")
    if not checked:
        pytest.skip("no declared dependency is installed")
    assert not refused, (
        f"requires-python {ours} allows {oldest}, which {', '.join(refused)}: raise requires-python"
    )
