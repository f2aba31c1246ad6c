"""Architecture rules: ui > techapp > drivers, and Qt stays out of the lower layers.

Checked twice, independently:

* by import-linter (``lint-imports``, contracts in pyproject.toml), which sees
  indirect imports too but cannot name ``PySide6.QtWidgets`` while PySide6 is
  not installed (external packages are squashed to their top-level name);
* by a small AST scan of the source files below, which sees every ``import``
  statement (including those under ``if TYPE_CHECKING:`` and in functions) and
  ``importlib.import_module("...")`` calls with a literal name.
"""

from __future__ import annotations

import ast
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent

#: package directory -> module prefixes its modules must not import.
FORBIDDEN: dict[str, tuple[str, ...]] = {
    "drivers": ("techapp", "ui", "PySide6", "shiboken6"),
    "techapp": ("ui", "PySide6.QtWidgets", "PySide6.QtGui"),
}


# -- the AST checker ----------------------------------------------------------------


@dataclass(frozen=True, order=True)
class Violation:
    path: str  # relative to the scanned root, with forward slashes
    line: int
    imported: str
    rule: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: imports {self.imported} ({self.rule})"


def _module_name(root: Path, path: Path) -> tuple[str, bool]:
    """Dotted module name of ``path`` and whether it is a package ``__init__``."""
    parts = list(path.relative_to(root).with_suffix("").parts)
    is_init = parts[-1] == "__init__"
    if is_init:
        parts.pop()
    return ".".join(parts), is_init


def _resolve_relative(module: str, is_init: bool, level: int, target: str | None) -> str | None:
    """Absolute name of ``from <level dots><target> import ...`` inside ``module``; None if invalid."""
    package = module.split(".") if is_init else module.split(".")[:-1]
    if level > len(package):
        return None  # beyond the top-level package
    base = package[: len(package) - level + 1]
    return ".".join(base + ([target] if target else []))


def imported_names(tree: ast.AST, module: str, is_init: bool) -> list[tuple[int, str | None]]:
    """(line, absolute module name) for every import in ``tree``; None marks an unresolvable one."""
    found: list[tuple[int, str | None]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.extend((node.lineno, alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = _resolve_relative(module, is_init, node.level, node.module)
            else:
                base = node.module
            found.append((node.lineno, base))
            if base is not None:
                # `from PySide6 import QtWidgets` imports the submodule PySide6.QtWidgets.
                found.extend((node.lineno, f"{base}.{alias.name}") for alias in node.names if alias.name != "*")
        elif isinstance(node, ast.Call) and node.args:
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else None
            first = node.args[0]
            if (
                name in ("import_module", "__import__")
                and isinstance(first, ast.Constant)
                and isinstance(first.value, str)
                and not first.value.startswith(".")
            ):
                found.append((node.lineno, first.value))
    return found


def _matches(name: str, prefix: str) -> bool:
    return name == prefix or name.startswith(prefix + ".")


def find_violations(root: Path, rules: dict[str, tuple[str, ...]] = FORBIDDEN) -> tuple[list[Violation], int]:
    """Scan ``root/<package>/**/*.py`` for each package in ``rules``; return (violations, files scanned)."""
    violations: set[Violation] = set()
    scanned = 0
    for package, prefixes in rules.items():
        for path in sorted((root / package).rglob("*.py")):
            rel = path.relative_to(root).as_posix()
            scanned += 1
            try:
                tree = ast.parse(path.read_bytes(), filename=str(path))
            except SyntaxError as err:
                violations.add(Violation(rel, err.lineno or 0, "?", "file does not parse"))
                continue
            module, is_init = _module_name(root, path)
            for line, name in imported_names(tree, module, is_init):
                if name is None:
                    violations.add(Violation(rel, line, "?", "relative import beyond the top-level package"))
                    continue
                for prefix in prefixes:
                    if _matches(name, prefix):
                        violations.add(Violation(rel, line, name, f"{package} must not import {prefix}"))
    return sorted(violations), scanned


# -- the checker on this repository ---------------------------------------------------


def test_source_tree_respects_the_import_rules():
    violations, scanned = find_violations(REPO)
    assert scanned >= 3, "the AST scan found hardly any source files: is REPO right?"
    assert not violations, "forbidden imports:\n" + "\n".join(map(str, violations))


# -- the checker itself ------------------------------------------------------------------


def _write(root: Path, files: dict[str, str]) -> None:
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")


def test_ast_checker_detects_violations(tmp_path):
    _write(
        tmp_path,
        {
            "drivers/__init__.py": "",
            "drivers/ok.py": "from . import framing\nfrom .maint import protocol\nimport serial\n",
            "drivers/bad_abs.py": "import os\nfrom techapp.config import Settings\n",
            "drivers/maint/__init__.py": "from ... import ui\n",
            "drivers/maint/bad_rel.py": "from ..errors import X\nimport ui.widgets as w\n",
            "drivers/bad_qt.py": "def f():\n    from PySide6.QtCore import QObject\n",
            "drivers/bad_dynamic.py": "import importlib\nimportlib.import_module('techapp.cli')\n",
            "techapp/__init__.py": "",
            "techapp/ok.py": (
                "from PySide6.QtCore import QObject, Signal\nimport PySide6\nfrom drivers import ports\n"
                "from . import uikit\n"
            ),
            "techapp/bad_widgets.py": "from PySide6 import QtCore, QtWidgets\n",
            "techapp/bad_gui.py": ("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import PySide6.QtGui\n"),
            "techapp/bad_ui.py": "x = 1\nfrom ui import main_window\n",
            "techapp/broken.py": "def (:\n",
            "ui/anything.py": "from PySide6.QtWidgets import QWidget\nimport techapp\nimport drivers\n",
        },
    )
    violations, scanned = find_violations(tmp_path)
    assert scanned == 13  # ui/ is not scanned: it may import anything
    got = {(v.path, v.line, v.imported) for v in violations}
    assert got == {
        ("drivers/bad_abs.py", 2, "techapp.config"),
        ("drivers/bad_abs.py", 2, "techapp.config.Settings"),
        ("drivers/maint/__init__.py", 1, "?"),  # `from ... import ui` leaves the package
        ("drivers/maint/bad_rel.py", 2, "ui.widgets"),
        ("drivers/bad_qt.py", 2, "PySide6.QtCore"),
        ("drivers/bad_qt.py", 2, "PySide6.QtCore.QObject"),
        ("drivers/bad_dynamic.py", 2, "techapp.cli"),
        ("techapp/bad_widgets.py", 1, "PySide6.QtWidgets"),
        ("techapp/bad_gui.py", 3, "PySide6.QtGui"),
        ("techapp/bad_ui.py", 2, "ui"),
        ("techapp/bad_ui.py", 2, "ui.main_window"),
        ("techapp/broken.py", 1, "?"),
    }


def test_relative_imports_are_resolved_against_the_package():
    assert _resolve_relative("drivers.maint.protocol", False, 2, None) == "drivers"
    assert _resolve_relative("drivers.maint.protocol", False, 2, "errors") == "drivers.errors"
    assert _resolve_relative("drivers.maint", True, 1, "protocol") == "drivers.maint.protocol"
    assert _resolve_relative("drivers.maint", True, 2, None) == "drivers"
    assert _resolve_relative("drivers.ports", False, 2, None) is None


# -- import-linter ----------------------------------------------------------------------


def _lint_imports() -> str:
    """Path of the lint-imports executable; fails (never skips) when it is missing."""
    beside = Path(sys.executable).parent / ("lint-imports.exe" if os.name == "nt" else "lint-imports")
    exe = str(beside) if beside.exists() else shutil.which("lint-imports")
    if exe is None:
        pytest.fail("lint-imports (import-linter) is not installed: run scripts/setup")
    return exe


def _run_lint_imports(cwd: Path, extra_path: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ)
    if extra_path is not None:
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(extra_path), env.get("PYTHONPATH")]))
    return subprocess.run(
        [_lint_imports(), "--no-cache"],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_import_linter_contracts_are_kept():
    result = _run_lint_imports(REPO)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "0 broken" in output, output


def test_import_linter_config_catches_violations(tmp_path):
    """The contracts in pyproject.toml are not vacuous: a layered-wrong tree breaks them."""
    shutil.copy(REPO / "pyproject.toml", tmp_path / "pyproject.toml")
    _write(
        tmp_path,
        {
            "drivers/__init__.py": "",
            "drivers/link.py": "import PySide6.QtCore\n",
            "drivers/sim/__init__.py": "",
            "techapp/__init__.py": "",
            "techapp/core.py": "from ui import window\n",
            "techapp/diagnosis/__init__.py": "import drivers.sim\n",
            "techapp/hostcheck.py": "",
            "techapp/netcheck.py": "",
            "techapp/backups.py": "",
            "ui/__init__.py": "",
            "ui/window.py": "import techapp.core\nimport drivers.link\n",
        },
    )
    result = _run_lint_imports(tmp_path, extra_path=tmp_path)
    output = result.stdout + result.stderr
    assert result.returncode != 0, output
    assert "techapp.core -> ui" in output, output
    assert "drivers.link -> PySide6" in output, output
    assert "techapp.diagnosis -> drivers.sim" in output, output


def test_the_suite_refuses_to_leave_loopback():
    """The autouse guard in conftest.py: a connect to a routable address fails before any packet leaves."""
    import socket

    import pytest

    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock, pytest.raises(AssertionError, match="not loopback"):
        sock.connect(("10.20.30.40", 5000))


# -- no protocol named above the drivers ------------------------------------------------
#: Words that name a terminal protocol or its driver module. techapp/ and ui/ talk to every
#: terminal through drivers.base / drivers.registry and the drivers' declared capabilities.
PROTOCOL_WORDS = ("zvt", "cup-maint", "drivers.maint", "drivers.zvt", "MaintenanceDriver", "ZvtDriver")
#: Known places that still reach into the maintenance driver's modules for the traffic log's
#: masking and decoding (to move behind the registry); nothing new may join them.
KNOWN_TRACE_HOOKS: set[tuple[str, str]] = set()  # traces are masked through drivers.registry


def _code_lines(path: Path):
    """(line number, code without its comment) of every line outside docstrings and comments."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    docs = set()
    for node in ast.walk(tree):
        value = getattr(node, "value", None) if isinstance(node, ast.Expr) else None
        if isinstance(value, ast.Constant) and isinstance(value.value, str):
            docs.update(range(node.lineno, (node.end_lineno or node.lineno) + 1))
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if number not in docs:
            yield number, line.split("#", 1)[0]


def test_nothing_in_techapp_or_ui_names_a_protocol():
    found = []
    for package in ("techapp", "ui"):
        for path in sorted((REPO / package).rglob("*.py")):
            rel = path.relative_to(REPO).as_posix()
            for number, code in _code_lines(path):
                if (rel, code.strip()) in KNOWN_TRACE_HOOKS:
                    continue
                if any(word.lower() in code.lower() for word in PROTOCOL_WORDS):
                    found.append(f"{rel}:{number}: {code.strip()}")
    assert found == []


def test_the_protocol_check_sees_a_protocol_named_in_code(tmp_path):
    sample = tmp_path / "sample.py"
    sample.write_text('"""Docstrings may say ZVT."""\nDRIVER = "zvt"  # but code may not\n', encoding="utf-8")
    lines = [code for _, code in _code_lines(sample) if any(w in code.lower() for w in PROTOCOL_WORDS)]
    assert lines == ['DRIVER = "zvt"  ']
