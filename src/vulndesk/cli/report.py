"""``vulndesk report import``: vulnerability reports that arrived by e-mail, into the database.

Each saved message (``.eml``) becomes a report of the organisation, as if sent through the
report form (``disclosure.email_import``); the command prints its tracking id and the status
link to send to the reporter, which is shown this once. A message that cannot be a report is
named with the reason and stores nothing; the others are still imported (exit 2 when any was
refused).

Django is imported inside :func:`run` only, so ``vulndesk --help`` stays fast.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from vulndesk.core.errors import InputError

EXIT_OK = 0
EXIT_INPUT = 2


def add_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``report`` command to ``commands``."""
    report = commands.add_parser(
        "report",
        help="vulnerability reports: import those that arrived by e-mail",
        description="Disclosure reports. The public form is at /report/ of the web interface.",
    )
    actions = report.add_subparsers(dest="report_command", metavar="ACTION", required=True)
    imports = actions.add_parser(
        "import",
        help="import saved e-mail messages (.eml) as reports",
        description="Make each saved e-mail message a report: subject -> title, text -> "
        "description, sender -> reporter, attached files -> attachments (checked as the form "
        "checks them). Prints each report's tracking id and the reporter's status link, which "
        "is shown only this once.",
    )
    imports.add_argument("files", nargs="+", type=Path, metavar="FILE.eml")
    imports.add_argument(
        "--organisation",
        metavar="SLUG",
        help="the receiving organisation (default: the default organisation)",
    )
    imports.add_argument(
        "--site",
        default="",
        metavar="URL",
        help="the web interface's address for the status links (default: VULNDESK_PUBLIC_URL)",
    )


def run(args: argparse.Namespace) -> int:
    """Run ``vulndesk report import``; return the exit code."""
    from vulndesk.cli.database import open_database

    open_database()
    from django.urls import reverse
    from django.utils.http import urlencode

    from vulndesk.server.accounts.models import Organisation
    from vulndesk.server.accounts.services import organisation_default
    from vulndesk.server.disclosure.email_import import report_import_email
    from vulndesk.server.disclosure.notify import site_url

    if args.organisation:
        organisation = Organisation.objects.filter(slug=args.organisation).first()
        if organisation is None:
            raise InputError(f"no organisation {args.organisation!r}")
    else:
        organisation = organisation_default()
    site = (args.site or site_url()).rstrip("/")
    refused = 0
    for path in args.files:
        try:
            report, secret = report_import_email(
                raw=path.read_bytes(), organisation=organisation, source=str(path)
            )
        except InputError as exc:
            refused += 1
            print(f"vulndesk: error: {exc.source}: {exc.message}", file=sys.stderr)
            continue
        link = site + reverse("web:report-status", args=[report.tracking_id])
        print(f"{path}: report {report.tracking_id} ({report.title})")
        print(f"  status link for the reporter: {link}?{urlencode({'key': secret})}")
    return EXIT_INPUT if refused else EXIT_OK
