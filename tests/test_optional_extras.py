"""The core install (`make run`: no extras) imports every pipeline module; a missing extra is one clear line."""

from __future__ import annotations

import subprocess
import sys
import textwrap

from typer.testing import CliRunner

from safealign.cli.main import app
from safealign.errors import OPTIONAL_MODULES

# Modules that belong to an extra on purpose: the OpenAI-compatible server and the monitor gateway.
EXTRA_PACKAGES = ("safealign.serve", "safealign.monitor")


def test_core_modules_import_without_the_optional_extras():
    # A fresh `make run` installs no extras; a module-level import of one of their packages broke the CLI
    # there (httpx, 2026-11-30) while the dev install hid it. Block them all and import the rest.
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
