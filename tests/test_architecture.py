"""The import rules of ARCHITECTURE.md, checked on the source: every module under src/opengram is parsed with
`ast`, each import (at the top, inside a function, or under TYPE_CHECKING alike) is mapped to the room that
holds it, and

- every import between two rooms is one the table "Which way imports run" allows,
- the table itself has no cycle, and no two rooms import each other, even through others,
- no two modules import each other, even through others, within a room or across rooms.

The table is read from ARCHITECTURE.md, so the document and this test cannot drift apart.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from functools import cache
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "src" / "opengram"
DOCUMENT = ROOT / "ARCHITECTURE.md"
HEADING = "## Which way imports run"


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


@cache
def modules() -> dict[str, Path]:
    return {module_name(path): path for path in sorted(PACKAGE.rglob("*.py"))}


@cache
def table() -> dict[str, set[str]]:
    """room -> the rooms it may import, from the first table under HEADING."""
    text = DOCUMENT.read_text()
    assert HEADING in text, f"ARCHITECTURE.md has no '{HEADING}' section"
    rows: dict[str, set[str]] = {}
    for line in text.split(HEADING, 1)[1].splitlines():
        if not line.startswith("|"):
            if rows:
                break
            continue
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        room = re.fullmatch(r"`([\w.]+)`", cells[0])
        if room is None:  # the header and its rule
            continue
        rows[room.group(1)] = set(re.findall(r"`([\w.]+)`", cells[-1]))
    assert rows, "the import table under '{HEADING}' is empty"
    return rows


def room_of(module: str) -> str:
    """The room of `opengram.<name>`: the longest room name in the table that is a prefix of it; the package
    itself (its `__init__`) is the room `__init__`."""
    name = module.removeprefix("opengram").removeprefix(".") or "__init__"
    for room in sorted(table(), key=len, reverse=True):
        if name == room or name.startswith(room + "."):
            return room
    return name.split(".")[0]  # not in the table: reported as such


def _resolve(importer: str, is_package: bool, node: ast.ImportFrom) -> str:
    if not node.level:
        return node.module or ""
    package = importer.split(".") if is_package else importer.split(".")[:-1]
    base = package[: len(package) - node.level + 1]
    return ".".join(base + ([node.module] if node.module else []))


def imports_in(tree: ast.AST, module: str, known: set[str], is_package: bool = False) -> Iterator[tuple[str, int]]:
    """The opengram modules a module's syntax tree imports (the module itself, or the package for a name it
    defines), and the line of each import: anywhere in the module, TYPE_CHECKING blocks included."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = _resolve(module, is_package, node)
            targets = [f"{base}.{a.name}" if f"{base}.{a.name}" in known else base for a in node.names]
        else:
            continue
        for target in targets:
            if target == "opengram" or target.startswith("opengram."):
                while target not in known and "." in target:  # `import opengram.x.y` of a name: its module
                    target = target.rsplit(".", 1)[0]
                yield target, node.lineno


def imports(module: str) -> Iterator[tuple[str, int]]:
    path = modules()[module]
    tree = ast.parse(path.read_text(), filename=str(path))
    yield from imports_in(tree, module, set(modules()), path.name == "__init__.py")


@cache
def module_graph() -> dict[str, set[str]]:
    return {module: {target for target, _ in imports(module) if target != module} for module in modules()}


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one node (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph.get(node, ())):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                component.append(top)
                if top == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_the_table_names_rooms_that_exist_and_allows_no_cycle():
    rooms = {room_of(module) for module in modules()}
    named = set(table())
    assert rooms <= named, f"rooms missing from ARCHITECTURE.md's table: {sorted(rooms - named)}"
    for room, allowed in table().items():
        assert allowed <= named, f"{room} may import rooms the table does not list: {sorted(allowed - named)}"
        assert room not in allowed, f"{room} lists itself"
    assert cycles(table()) == [], "the table allows a cycle"


def test_every_import_between_rooms_is_allowed():
    wrong = []
    for module in modules():
        here = room_of(module)
        for target, line in imports(module):
            there = room_of(target)
            if there != here and there not in table().get(here, set()):
                path = modules()[module].relative_to(ROOT)
                wrong.append(f"{path}:{line}: {here} -> {there} ({target})")
    assert wrong == [], "imports against ARCHITECTURE.md's table:\n" + "\n".join(wrong)


def test_no_room_imports_one_that_imports_it_back():
    graph: dict[str, set[str]] = {}
    for module, targets in module_graph().items():
        here = room_of(module)
        graph.setdefault(here, set()).update(room_of(t) for t in targets if room_of(t) != here)
    assert cycles(graph) == []


def test_no_module_imports_one_that_imports_it_back():
    assert cycles(module_graph()) == []


def test_the_checks_see_type_only_and_late_imports_and_cycles():
    """The checker itself: imports under TYPE_CHECKING and inside functions count, a name from a package is
    the package, a relative import resolves, and a cycle through three nodes is found."""
    source = (
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n    from opengram.api.services import Services\n"
        "def f():\n    from opengram.speech import formatting, nothing_there\n"
        "from . import stream\n"
    )
    known = {"opengram.api.services", "opengram.speech", "opengram.speech.formatting", "opengram.speech.live.stream"}
    found = {t for t, _ in imports_in(ast.parse(source), "opengram.speech.live.session", known)}
    assert found == {
        "opengram.api.services",
        "opengram.speech.formatting",
        "opengram.speech",
        "opengram.speech.live.stream",
    }
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
