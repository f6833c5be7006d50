"""The layering the architecture promises: the pure core never imports Django or web code."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

import workforce

CORE_PACKAGES = [
    "standard",
    "intake",
    "stats",
    "disclosure",
    "reporting",
    "qual",
    "synth",
    "survey",
]
WEB_MODULES = {"django", "granian", "whitenoise", "dj_database_url", "workforce.platform"}
PACKAGE_ROOT = Path(workforce.__file__).parent


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def is_web(module: str) -> bool:
    return any(module == web or module.startswith(web + ".") for web in WEB_MODULES)


@pytest.mark.parametrize("package", CORE_PACKAGES)
def test_core_package_source_never_imports_django(package):
    offenders = [
        f"{path.relative_to(PACKAGE_ROOT.parent)} imports {module}"
        for path in sorted((PACKAGE_ROOT / package).rglob("*.py"))
        for module in imported_modules(path)
        if is_web(module)
    ]
    assert offenders == []


def test_importing_every_core_module_loads_no_django():
    # A fresh interpreter: the test process itself has Django loaded by pytest-django.
    script = f"""
import importlib, pkgutil, sys
import workforce
for package in {CORE_PACKAGES!r}:
    module = importlib.import_module("workforce." + package)
    for info in pkgutil.walk_packages(module.__path__, module.__name__ + "."):
        importlib.import_module(info.name)
loaded = sorted(m for m in sys.modules if m.split(".")[0] in ("django", "granian", "whitenoise")
                or m.startswith("workforce.platform"))
print(",".join(loaded))
"""
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=120
    )
    assert result.stdout.strip() == ""
