"""Every package kaxl imports at run time is declared in pyproject.toml's dependencies.

The test extra installs more (oletools brings olefile, for one), so a missing runtime
dependency passes every other test here and only fails on a user's machine: `kaxl demo`
once reported "No module named 'olefile'" from a clean install.
"""

from __future__ import annotations

import ast
import re
import sys
from importlib.metadata import packages_distributions
from pathlib import Path

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib

ROOT = Path(__file__).resolve().parent.parent


def _declared() -> set[str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    names = {re.split(r"[<>=!~;\[ ]", spec, maxsplit=1)[0] for spec in project["dependencies"]}
    return {_canonical(name) for name in names}


def _canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _imported_top_levels() -> dict[str, Path]:
    found: dict[str, Path] = {}
    for path in (ROOT / "kaxl").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            else:
                continue
            for name in names:
                found.setdefault(name.split(".")[0], path)
    return found


def test_every_runtime_import_is_a_declared_dependency():
    declared = _declared()
    distributions = packages_distributions()
    optional = {"tomli"}  # declared with a marker for Python < 3.11, imported only there
    missing = []
    for module, path in sorted(_imported_top_levels().items()):
        if module == "kaxl" or module in sys.stdlib_module_names or module in optional:
            continue
        dists = {_canonical(d) for d in distributions.get(module, [])}
        if not dists:
            missing.append(f"{module} (imported in {path.relative_to(ROOT)}, not installed)")
        elif not dists & declared:
            missing.append(f"{module} from {sorted(dists)} (imported in {path.relative_to(ROOT)})")
    assert not missing, "imported but not declared in pyproject.toml: " + "; ".join(missing)
