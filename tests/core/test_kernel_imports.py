"""The kernel sits at the bottom of the graph: nothing in core/ imports an app or the
project package, so every app may import it without a cycle."""

from __future__ import annotations

import ast
from pathlib import Path

from django.apps import apps
from django.conf import settings

import core

# The project's own apps (and the project package), whatever INSTALLED_APPS adds next.
APPS = {config.name.split(".")[0] for config in apps.get_app_configs()
        if Path(config.path).parent == Path(settings.BASE_DIR)} - {"core"}  # fmt: skip
KERNEL = Path(core.__file__).parent


def _imported_modules(path: Path) -> list[tuple[int, str]]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.append((node.lineno, node.module))
    return found


def test_the_kernel_has_modules_to_check():
    assert {"errors.py", "api.py", "cursors.py", "urls.py"} <= {
        path.name for path in KERNEL.glob("*.py")
    }


def test_no_module_in_the_kernel_imports_an_app():
    offending = [
        f"{path.relative_to(KERNEL.parent)}:{line} imports {module}"
        for path in sorted(KERNEL.rglob("*.py"))
        for line, module in _imported_modules(path)
        if module.split(".")[0] in APPS
    ]
    assert offending == []
