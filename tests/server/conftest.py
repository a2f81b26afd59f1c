"""Fixtures shared by the server tests."""

from __future__ import annotations

from collections.abc import Callable

import pytest


@pytest.fixture
def run_jobs(db: None) -> Callable[[], int]:
    """Return a function that runs the queued tasks in this process and says how many ran."""
    from vulndesk.server.jobs.inline import jobs_run_pending

    return jobs_run_pending
