"""``vulndesk vex`` (being written): Django is imported inside :func:`run` only."""

from __future__ import annotations

import argparse


def add_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``vex`` command to ``commands``."""
    commands.add_parser("vex", help="(being written)")


def run(args: argparse.Namespace) -> int:
    """Run the ``vex`` command; return the exit code."""
    return 0
