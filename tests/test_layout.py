"""The package's shape: no import circle among kaxl's modules, no other package's private names.

Import edges are read from the source (every ``import``/``from … import`` of a kaxl module, at
module level or inside a function, but not under ``if TYPE_CHECKING``), so a circle is found
even when a lazy import keeps it from failing at run time.
"""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "kaxl"


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _modules() -> dict[str, Path]:
    return {_module_name(p): p for p in PACKAGE.rglob("*.py")}


def _type_checking_nodes(tree: ast.AST) -> set[int]:
    skipped: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            skipped.update(id(child) for child in ast.walk(node))
    return skipped


def _imports(name: str, path: Path, known: set[str]) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    skipped = _type_checking_nodes(tree)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(tree):
        if id(node) in skipped:
            continue
        targets: list[str] = []
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            targets = [base] + [f"{base}.{alias.name}" for alias in node.names]
        for target in targets:
            while target and target not in known:
                target = target.rpartition(".")[0]
            if target and target != name and target != "kaxl":
                found.add(target)
    return found


def _graph() -> dict[str, set[str]]:
    modules = _modules()
    known = set(modules)
    return {name: _imports(name, path, known) for name, path in modules.items()}


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    out: list[list[str]] = []
    counter = [0]

    def visit(v: str) -> None:
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                out.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def test_the_cycle_finder_finds_a_circle() -> None:
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert _cycles({"a": {"b"}, "b": set()}) == []


def test_no_import_circle_among_kaxls_modules() -> None:
    graph = _graph()
    assert "kaxl.sop.engine" in graph and graph["kaxl.samples.mistakes"]  # the graph was read
    assert _cycles(graph) == []


def _private(part: str) -> bool:
    return part.startswith("_") and not (part.startswith("__") and part.endswith("__"))


def _imported_names(tree: ast.AST) -> set[str]:
    """Names bound by importing another package (``import x.y`` binds x; ``from x import y`` binds y)."""
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {(a.asname or a.name).split(".")[0] for a in node.names if not a.name.startswith("kaxl")}
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level and not node.module.startswith("kaxl"):
            names |= {a.asname or a.name for a in node.names}
    return names


def private_uses(name: str, source: str) -> list[str]:
    """``from x import _y``, ``import x._y``, ``x._y`` for a package other than kaxl."""
    tree = ast.parse(source)
    imported = _imported_names(tree)
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and not node.level and not node.module.startswith("kaxl"):
            found += [f"{name}: from {node.module} import {a.name}" for a in node.names if _private(a.name)]
            found += [f"{name}: {node.module}" for part in node.module.split(".") if _private(part)]
        elif isinstance(node, ast.Import):
            found += [f"{name}: import {a.name}" for a in node.names if not a.name.startswith("kaxl")
                      for part in a.name.split(".") if _private(part)]
        elif isinstance(node, ast.Attribute) and _private(node.attr):
            root = node.value
            while isinstance(root, ast.Attribute):
                root = root.value
            if isinstance(root, ast.Name) and root.id in imported:
                found.append(f"{name}:{node.lineno}: {ast.unparse(node)}")
    return found


def reassignments(name: str, source: str) -> list[str]:
    """``xlsxwriter.workbook.ZipFile = …`` or ``setattr(xlsxwriter, …)``: a library's globals changed."""
    tree = ast.parse(source)
    imported = _imported_names(tree)
    found = []
    for node in ast.walk(tree):
        targets = node.targets if isinstance(node, ast.Assign) else [node.target] if isinstance(
            node, (ast.AugAssign, ast.AnnAssign)) else []
        for target in targets:
            root = target
            while isinstance(root, ast.Attribute):
                root = root.value
            if isinstance(target, ast.Attribute) and isinstance(root, ast.Name) and root.id in imported:
                found.append(f"{name}:{node.lineno}: {ast.unparse(target)}")
        if isinstance(node, ast.Call) and ast.unparse(node.func) == "setattr" and node.args:
            first = node.args[0]
            if isinstance(first, ast.Name) and first.id in imported:
                found.append(f"{name}:{node.lineno}: setattr({first.id}, …)")
    return found


def test_the_scanners_see_what_they_look_for() -> None:
    sample = ("import xlsxwriter.workbook\nfrom xlsxwriter.utility import _preserve_whitespace\n"
              "from __future__ import annotations\nx = xlsxwriter.workbook._private\n"
              "xlsxwriter.workbook.ZipFile = object\nsetattr(xlsxwriter, 'x', 1)\nself._own = 1\n")
    assert len(private_uses("m", sample)) == 2
    assert len(reassignments("m", sample)) == 2


def test_no_private_name_of_another_package() -> None:
    offenders = [use for name, path in _modules().items() for use in private_uses(name, path.read_text("utf-8"))]
    assert offenders == []


def test_no_module_reassigns_another_packages_attribute() -> None:
    offenders = [use for name, path in _modules().items() for use in reassignments(name, path.read_text("utf-8"))]
    assert offenders == []
