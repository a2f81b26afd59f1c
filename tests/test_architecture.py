"""Rules about the shape of the code that CI enforces."""

from __future__ import annotations

import ast
import subprocess
import sys

from support import ROOT

CORE = ROOT / "src/vulndesk/core"


def test_core_never_imports_django_in_source() -> None:
    offenders = []
    for path in sorted(CORE.rglob("*.py")):
        tree = ast.parse(path.read_text(), filename=str(path))
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            offenders += [
                f"{path.relative_to(ROOT)}:{node.lineno} imports {n}"
                for n in names
                if n.split(".")[0] in {"django", "ninja", "django_tasks_db"}
                or n.startswith("vulndesk.server")
            ]
    assert offenders == []


def test_importing_all_of_core_loads_no_django() -> None:
    modules = sorted(
        ".".join(p.relative_to(ROOT / "src").with_suffix("").parts).removesuffix(".__init__")
        for p in CORE.rglob("*.py")
    )
    code = (
        "import importlib, sys\n"
        f"for m in {modules!r}: importlib.import_module(m)\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'django'))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"


def test_scan_command_does_not_set_django_up() -> None:
    """The scan fast path (docs/architecture.md) must not pull Django's ORM in."""
    code = (
        "import sys\n"
        "from vulndesk.cli import scan, main\n"
        "import vulndesk.server.findings.scanning, vulndesk.server.bootstrap\n"
        "print('django.db.models' in sys.modules)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "False"
