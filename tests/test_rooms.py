"""The rooms keep to their doors (README "Which folder owns what"): read from the code's imports.

- only ``bot/`` and ``app.py`` import the Agents SDK (``microsoft_agents``), and nothing imports
  botbuilder or msrest any more;
- ``dialogs/`` imports nothing of ours but itself; ``cards/`` only ``dialogs`` and itself;
  ``storage/`` only ``dialogs`` and itself; ``plan/`` only ``dialogs`` and ``cards`` (texts);
- the modules of ``bot/`` import each other without a cycle (also behind ``TYPE_CHECKING``).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
OURS = ("app", "settings", "manage", "bot", "dialogs", "cards", "storage", "plan")


def imports_of(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found |= {f"{node.module}.{alias.name}" for alias in node.names}
    return found


def sources(folder: str) -> list[Path]:
    return sorted((REPO / folder).rglob("*.py"))


def module_name(path: Path) -> str:
    parts = path.relative_to(REPO).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def test_only_the_edge_imports_the_sdk_and_nothing_imports_botbuilder() -> None:
    everything = [REPO / f"{name}.py" for name in ("app", "settings", "manage")]
    everything += [p for folder in OURS[3:] for p in sources(folder)]
    for path in everything:
        for name in imports_of(path):
            root = name.split(".")[0]
            assert root not in ("botbuilder", "botframework", "msrest"), (path, name)
            if root == "microsoft_agents":
                assert path.name == "app.py" or "bot" in path.relative_to(REPO).parts[:1], path


@pytest.mark.parametrize(
    ("folder", "allowed"),
    [
        ("dialogs", {"dialogs"}),
        ("cards", {"cards", "dialogs"}),
        ("storage", {"storage", "dialogs"}),
        ("plan", {"plan", "dialogs", "cards"}),  # the plan speaks with the cards' texts
    ],
)
def test_inner_rooms_import_only_what_they_may(folder: str, allowed: set[str]) -> None:
    for path in sources(folder):
        ours = {name.split(".")[0] for name in imports_of(path)} & set(OURS)
        assert ours <= allowed, (path, ours - allowed)


def test_bot_modules_import_each_other_without_a_cycle() -> None:
    modules = {module_name(p): p for p in sources("bot")}
    graph = {
        name: {
            target
            for imported in imports_of(path)
            for target in modules
            if target != name
            and (imported == target or imported.startswith(target + "."))
            and not (target == "bot" or (target == "bot.flows" and name.startswith("bot.flows.")))
        }
        for name, path in modules.items()
    }
    state: dict[str, str] = {}

    def visit(node: str, trail: list[str]) -> None:
        state[node] = "open"
        for nxt in graph[node]:
            if state.get(nxt) == "open":
                raise AssertionError("import cycle: " + " -> ".join([*trail, node, nxt]))
            if nxt not in state:
                visit(nxt, [*trail, node])
        state[node] = "done"

    for module in graph:
        if module not in state:
            visit(module, [])
