"""The schema stamp: checked by a scan without importing Django at all."""

from __future__ import annotations

import subprocess
import sys

from vulndesk.server.bootstrap import schema_fingerprint


def test_schema_fingerprint_imports_no_django() -> None:
    code = (
        "import sys\n"
        "from vulndesk.server.bootstrap import schema_fingerprint\n"
        "print(schema_fingerprint())\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'django'))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    fingerprint, django_modules = result.stdout.splitlines()
    assert django_modules == "[]"
    assert fingerprint == schema_fingerprint()
    assert len(fingerprint) == 64
