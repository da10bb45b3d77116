"""No import cycles among the modules of `reception`.

A cycle means neither module can be read, tested or moved without the other, and
Python resolves it only by the order in which modules happen to be imported first.
Imports inside functions count: they usually hide a cycle rather than remove it.
Imports under `if TYPE_CHECKING:` do not: they never run.
"""

from __future__ import annotations

import grimp

PACKAGE = "reception"

DELIBERATE: dict[tuple[str, str], str] = {
    # (importer, imported): why this import may close a cycle. A lazy import for an
    # optional backend belongs here, with its reason; nothing needs it today.
}


def import_cycles(graph: grimp.ImportGraph) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan), sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(module: str) -> None:
        index[module] = low[module] = len(index)
        stack.append(module)
        on_stack.add(module)
        for imported in sorted(graph.find_modules_directly_imported_by(module)):
            if imported not in index:
                visit(imported)
                low[module] = min(low[module], low[imported])
            elif imported in on_stack:
                low[module] = min(low[module], index[imported])
        if low[module] == index[module]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == module:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for module in sorted(graph.modules):
        if module not in index:
            visit(module)
    return sorted(found)


def describe(graph: grimp.ImportGraph, cycle: list[str]) -> str:
    """Every import between the members of a cycle, with its line, so a reader sees
    which import to move."""
    lines = [f"cycle of {len(cycle)} modules:"]
    for importer in cycle:
        for imported in cycle:
            if graph.direct_import_exists(importer=importer, imported=imported):
                details = graph.get_import_details(importer=importer, imported=imported)
                where = ", ".join(str(d["line_number"]) for d in details) or "?"
                lines.append(f"  {importer} -> {imported} (line {where})")
    return "\n".join(lines)


def package_graph() -> grimp.ImportGraph:
    return grimp.build_graph(PACKAGE, exclude_type_checking_imports=True, cache_dir=None)


def test_no_import_cycles() -> None:
    graph = package_graph()
    for importer, imported in DELIBERATE:
        if graph.direct_import_exists(importer=importer, imported=imported):
            graph.remove_import(importer=importer, imported=imported)
    cycles = import_cycles(graph)
    assert not cycles, "\n\n".join(describe(graph, cycle) for cycle in cycles)


def test_a_cycle_is_found_and_named() -> None:
    graph = grimp.ImportGraph()
    for module in ("app", "app.a", "app.b", "app.c", "app.d"):
        graph.add_module(module)
    for importer, imported, line in (
        ("app.a", "app.b", 3),
        ("app.b", "app.c", 4),
        ("app.c", "app.a", 5),
        ("app.d", "app.a", 6),
    ):
        graph.add_import(
            importer=importer, imported=imported, line_number=line, line_contents="import"
        )
    assert import_cycles(graph) == [["app.a", "app.b", "app.c"]]
    text = describe(graph, ["app.a", "app.b", "app.c"])
    assert "app.c -> app.a (line 5)" in text
    assert "app.d" not in text


SCREENS = ("kiosk", "display", "staff", "track", "api")
ADAPTERS = (*SCREENS, "app", "cli", "web", "forms")
"""The screens and what wires them (DESIGN.md: domain first, screens as adapters)."""

DOMAIN_USES_ADAPTER: dict[tuple[str, str], str] = {
    ("reception.auth.guard", "reception.web"): (
        "the guessing guard works on a request: it belongs beside the web helpers"
    ),
}


def test_domain_packages_import_no_screen() -> None:
    graph = package_graph()
    found = []
    for module in sorted(graph.modules):
        parts = module.split(".")
        if len(parts) < 2 or parts[1] in ADAPTERS:
            continue
        for imported in sorted(graph.find_modules_directly_imported_by(module)):
            target = imported.split(".")
            screen = len(target) > 1 and target[1] in ADAPTERS
            if screen and (module, imported) not in DOMAIN_USES_ADAPTER:
                found.append(f"{module} -> {imported}")
    assert not found, "domain modules importing a screen: " + "; ".join(found)
