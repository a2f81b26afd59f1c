"""The command line's own helpers (the commands themselves run in a subprocess elsewhere)."""

from __future__ import annotations

import gc

from vulndesk.cli.main import _cycle_collector_paused


def test_the_cycle_collector_is_paused_during_a_scan_and_restored_after() -> None:
    assert gc.isenabled()
    with _cycle_collector_paused():
        assert not gc.isenabled()
        survivor = [object()]
    assert gc.isenabled()
    # what was alive at the end is out of the collector's sight, not lost
    assert gc.get_freeze_count() > 0
    assert survivor
    gc.unfreeze()


def test_a_collector_that_was_off_stays_off() -> None:
    gc.disable()
    try:
        with _cycle_collector_paused():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()
        gc.unfreeze()
