"""``vulndesk vex``: record a statement on a finding, import a VEX document into a product,
export a product's statements.

``record FINDING_ID`` states whether the finding's vulnerability affects its component, for the
finding's version, every version, or a ``vers:`` range of versions (``--range``), which must
hold the finding's version and also covers later releases whose version is in it. The command
acts on the local database as the administrator does (no user: the audit row says ``cli``).

Django is imported inside :func:`run` only. ``vulndesk scan --vex`` (cli/scan.py) applies VEX
documents to a scan without the database.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from vulndesk.cli.main import EXIT_INPUT, EXIT_OK

# triage.models' VexState, Justification and core.vex.model.RESPONSES, written out: the parser
# is built without Django
_STATES = ("not_affected", "affected", "fixed", "under_investigation")
_JUSTIFICATIONS = (
    "component_not_present",
    "vulnerable_code_not_present",
    "vulnerable_code_not_in_execute_path",
    "vulnerable_code_cannot_be_controlled_by_adversary",
    "inline_mitigations_already_exist",
)
_RESPONSES = ("can_not_fix", "will_not_fix", "update", "rollback", "workaround_available")
_SCOPES = ("version", "any_version", "range")  # triage.vex.VexScope


def add_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``vex`` command to ``commands``."""
    vex = commands.add_parser(
        "vex",
        help="VEX statements: record one on a finding, import documents into a product, export "
        "its statements",
    ).add_subparsers(dest="vex_command", metavar="ACTION", required=True)

    record = vex.add_parser(
        "record",
        help="record a VEX statement on a finding, for its version, every version or a range",
        description="State whether the finding's vulnerability affects its component. The "
        "statement supersedes the active one of its scope and applies to every finding of the "
        "product it covers, in later releases too: the finding's component version (default), "
        "every version (--scope any_version), or the versions of a vers range (--range "
        "'vers:pypi/>=1.0|<2.0', which must hold the finding's version).",
    )
    record.add_argument("finding_id", type=int, metavar="FINDING_ID")
    record.add_argument("--state", required=True, choices=_STATES)
    record.add_argument(
        "--justification", choices=_JUSTIFICATIONS, help="why not affected (not_affected)"
    )
    record.add_argument("--impact-statement", default="", help="why not affected, in words")
    record.add_argument("--action-statement", default="", help="what to do (affected)")
    record.add_argument(
        "--response",
        action="append",
        default=[],
        choices=_RESPONSES,
        help="what is done about it (repeatable)",
    )
    record.add_argument("--detail", default="", help="more words about the statement")
    record.add_argument(
        "--scope",
        choices=_SCOPES,
        help="the finding's version (default), every version, or a range (--range implies it)",
    )
    record.add_argument(
        "--range",
        dest="version_range",
        default="",
        metavar="VERS",
        help="the versions covered, as a vers range such as 'vers:pypi/>=1.0|<2.0' "
        "(comparators <, <=, >= or none, joined by |, in ascending order)",
    )

    vex_import = vex.add_parser(
        "import",
        help="store the statements of a VEX document (OpenVEX, CycloneDX, CSAF) for a product",
        description="Read the document (its format is told from the content) and store its "
        "statements for the product's components, superseding earlier statements of the same "
        "scope. Prints what was stored, how many findings each applies to, and what could not "
        "be stored and why. A document that cannot be read stores nothing.",
    )
    vex_import.add_argument("file", metavar="FILE")
    vex_import.add_argument("--product", type=int, required=True, metavar="ID")
    vex_import.add_argument("--quiet", "-q", action="store_true", help="print only problems")

    vex_export = vex.add_parser(
        "export",
        help="write a product's (or a release's) statements as OpenVEX, CycloneDX or CSAF",
        description="Write the product's active statements, or with --release those that apply "
        "to the release's active findings. A release's CycloneDX VEX refers to its CycloneDX "
        "SBOM by BOM-Link when the SBOM has a serial number.",
    )
    vex_export.add_argument("--product", type=int, required=True, metavar="ID")
    vex_export.add_argument("--release", type=int, metavar="ID")
    vex_export.add_argument(
        "--format", "-f", choices=["openvex", "cyclonedx", "csaf"], default="openvex"
    )
    vex_export.add_argument(
        "--include-unstated",
        action="store_true",
        help="with --release: add its unstated active findings as under_investigation",
    )
    vex_export.add_argument("--output", "-o", metavar="FILE", help="write here (default: stdout)")


def run(args: argparse.Namespace) -> int:
    """Run the ``vex`` command; return the exit code."""
    if args.vex_command == "record":
        from vulndesk.cli.database import open_database

        open_database()
        return _record(args)
    if args.vex_command == "import":
        path = Path(args.file)
        data = path.read_bytes()  # an unreadable file is an OSError: main says so, exit 2
        from vulndesk.cli.database import open_database

        open_database()
        return _import(args, path, data)
    from vulndesk.cli.database import open_database

    open_database()
    return _export(args)


def _product(product_id: int) -> Any:
    from vulndesk.server.inventory.models import Product

    product = Product.objects.filter(pk=product_id).first()
    if product is None:
        print(f"vulndesk: error: no product with id {product_id}", file=sys.stderr)
    return product


def _covers(version: str) -> str:
    """Return what a statement scope's version covers, in words."""
    if version == "*":
        return "every version"
    return f"versions {version}" if version.startswith("vers:") else version


def _record(args: argparse.Namespace) -> int:
    from vulndesk.server.findings.models import Finding
    from vulndesk.server.triage.vex import StatementText, VexScope, vex_statement_record

    scope = args.scope or ("range" if args.version_range else "version")
    finding = (
        Finding.objects.select_related("product", "release").filter(pk=args.finding_id).first()
    )
    if finding is None:
        print(f"vulndesk: error: no finding with id {args.finding_id}", file=sys.stderr)
        return EXIT_INPUT
    statement = vex_statement_record(
        finding=finding,
        text=StatementText(
            state=args.state,
            justification=args.justification or "",
            responses=tuple(args.response),
            detail=args.detail,
            impact_statement=args.impact_statement,
            action_statement=args.action_statement,
        ),
        scope=VexScope(scope),
        version_range=args.version_range,
        acting_user=None,
        origin="cli",
        actor_label="cli",
    )
    applied = Finding.objects.filter(vex_statement=statement).count()
    print(
        f"statement {statement.pk}: {statement.vulnerability_id} {statement.state} in "
        f"{statement.component_key} {_covers(statement.component_version)} "
        f"({finding.product.name}); applies to {applied} finding(s)"
    )
    return EXIT_OK


def _import(args: argparse.Namespace, path: Path, data: bytes) -> int:
    from vulndesk.server.triage.vex_documents import vex_import

    product = _product(args.product)
    if product is None:
        return EXIT_INPUT
    outcome = vex_import(
        data=data,
        name=str(path),
        product=product,
        acting_user=None,
        origin="cli",
        actor_label="cli",
    )
    if not args.quiet:
        print(
            f"{path}: {outcome.format} document, {outcome.read} statement(s) read, "
            f"{len(outcome.recorded)} stored for {product.name}"
            + (f" (author: {outcome.author})" if outcome.author else "")
        )
        for statement, matched in outcome.recorded:
            version = _covers(statement.component_version)
            applies = (
                f"applies to {matched} finding(s)"
                if matched
                else "matches no finding yet (applies when the component appears)"
            )
            print(
                f"  {statement.vulnerability_id} {statement.state} in {statement.component_key} "
                f"{version}: {applies}"
            )
    for item in outcome.not_stored:
        where = f" {item.product}" if item.product else ""
        print(f"not stored: {item.vulnerability or '-'}{where}: {item.reason}", file=sys.stderr)
    return EXIT_OK


def _export(args: argparse.Namespace) -> int:
    from vulndesk.server.inventory.models import Release
    from vulndesk.server.triage.vex_documents import vex_export

    product = _product(args.product)
    if product is None:
        return EXIT_INPUT
    release = None
    if args.release is not None:
        release = Release.objects.filter(pk=args.release, product=product).first()
        if release is None:
            print(
                f"vulndesk: error: {product.name} has no release with id {args.release}",
                file=sys.stderr,
            )
            return EXIT_INPUT
    exported = vex_export(
        product=product,
        release=release,
        format=args.format,
        include_unstated=args.include_unstated,
    )
    if args.output:
        Path(args.output).write_bytes(exported.content)
    else:
        sys.stdout.buffer.write(exported.content)
        sys.stdout.flush()
    return EXIT_OK
