"""``vulndesk demo``: demo advisories and SBOMs in the configured database, a demo login, and the
web interface on 127.0.0.1.

Safe to run again: the import is idempotent, the SBOM copies are overwritten, and the demo login
gets its password back. The login ``demo``/``demo`` is for this local demo only.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import shutil
import sys
from pathlib import Path
from typing import Any

import vulndesk.demo
from vulndesk.cli.database import open_database
from vulndesk.cli.main import EXIT_OK
from vulndesk.server import config

DEMO_DATA = Path(vulndesk.demo.__file__).parent / "data"
DEMO_USER = "demo"
DEMO_PASSWORD = "demo"  # noqa: S105 - printed to the user; a local demo login only
# The demo SBOM the examples use: it has findings of every kind, a HIGH-or-above one included.
SHOWCASE_SBOM = "shop-web.cdx.json"
# The OSV bulk export that sits beside a checkout on the project's machines.
SHARED_PYPI = Path("shared", "data", "osv", "PyPI", "all.zip")


def run(args: argparse.Namespace) -> int:
    """Load the demo, print what to try next, and serve the web interface unless ``--no-serve``."""
    open_database()
    from vulndesk.server.advisories.services import feeds_import

    outcome = feeds_import(paths=[DEMO_DATA / "osv"], actor_label="demo")
    sboms = copy_demo_sboms(config.home() / "demo")
    from vulndesk.server.accounts.services import user_password_reset

    user_password_reset(username=DEMO_USER, password=DEMO_PASSWORD, actor_label="demo")
    releases = demo_portfolio_load(username=DEMO_USER)
    case = demo_disclosure_load(username=DEMO_USER)

    print(
        f"vulndesk demo: {outcome.read} demo advisories ({outcome.created} new, "
        f"{outcome.updated} updated, {outcome.unchanged} unchanged) in the database"
    )
    print(f"demo products: {releases} releases with their SBOMs analysed")
    print(f"demo SBOMs copied to {_shown(sboms[0].parent)}/")
    print(f"demo disclosure case: {case} (a report accepted into a case; an embargo proposed)")
    print(f"demo login: user {DEMO_USER!r}, password {DEMO_PASSWORD!r} (for this local demo only)")
    print()
    print(next_steps(sboms, port=args.port, serving=not args.no_serve))
    sys.stdout.flush()
    if args.no_serve:
        return EXIT_OK

    from vulndesk.cli.server import serve

    # What `vulndesk serve` runs: gunicorn and a background worker, so uploads in the web
    # interface are analysed; static files are served by the app itself (settings.SERVE_STATIC).
    return serve(
        argparse.Namespace(
            host="127.0.0.1", port=args.port, workers=None, threads=2, no_worker=False
        )
    )


def copy_demo_sboms(folder: Path) -> list[Path]:
    """Copy the demo SBOMs into ``folder`` (created if needed); return the copies' paths, the
    showcase SBOM first."""
    folder.mkdir(parents=True, exist_ok=True)
    copies = []
    for source in sorted(
        (DEMO_DATA / "sboms").iterdir(), key=lambda p: (p.name != SHOWCASE_SBOM, p.name)
    ):
        if source.is_file():
            copies.append(Path(shutil.copyfile(source, folder / source.name)))
    return copies


# (version, SBOM file, {package: replacement version})
_DemoRelease = tuple[str, str, dict[str, str]]
# (product, tags, asset context, releases)
DEMO_PORTFOLIO: list[tuple[str, list[str], dict[str, object], list[_DemoRelease]]] = [
    (
        "Web shop",
        ["customer-facing", "web"],
        {"exposure": "open", "mission_impact": "mef_failure", "eu_market": True,
         "description": "The online shop's storefront and checkout."},
        [
            ("2.3.0", SHOWCASE_SBOM, {}),
            # the next release upgraded requests: its finding is resolved there
            ("2.4.0", SHOWCASE_SBOM, {"requests": "2.31.0"}),
        ],
    ),
    (
        "API gateway",
        ["internal"],
        {"exposure": "controlled", "mission_impact": "mef_support_crippled",
         "description": "Routes partner API calls to the back end."},
        [("1.8.2", "api-gateway.spdx.json", {})],
    ),
]  # fmt: skip


def demo_portfolio_load(*, username: str) -> int:
    """Create the demo team, products and releases, upload their SBOMs and analyse them; return
    how many releases the demo has. Idempotent: what exists is left as it is."""
    from django.contrib.auth import get_user_model

    from vulndesk.server.accounts.models import Team
    from vulndesk.server.accounts.services import organisation_default, team_create
    from vulndesk.server.inventory.models import Product, Release
    from vulndesk.server.inventory.services import product_create, release_create, sbom_upload
    from vulndesk.server.jobs.inline import jobs_run_pending

    user = get_user_model().objects.get(username=username)
    organisation = organisation_default()
    team = Team.objects.filter(organisation=organisation, name="Demo team").first()
    if team is None:
        team = team_create(organisation=organisation, name="Demo team", members=[user],
                           acting_user=None)  # fmt: skip
    count = 0
    for name, tags, context, releases in DEMO_PORTFOLIO:
        product = Product.objects.filter(organisation=organisation, name=name).first()
        if product is None:
            product = product_create(name=name, acting_user=None, team=team, tags=tags,
                                     owner=user, **context)  # fmt: skip
        for version, file_name, upgrades in releases:
            count += 1
            if Release.objects.filter(product=product, version=version).exists():
                continue
            release = release_create(product=product, version=version, acting_user=None)
            content = _demo_sbom(DEMO_DATA / "sboms" / file_name, upgrades)
            sbom_upload(release=release, file_name=file_name, content=content, acting_user=None)
    jobs_run_pending(worker_id="demo")
    return count


#: the demo's disclosure case, found again by its title (idempotent loading)
DEMO_CASE_TITLE = "Proxy credentials sent to the destination host by requests"


def demo_disclosure_load(*, username: str) -> str:
    """Give the demo user the coordinator's permission (group "PSIRT") and create a report
    accepted into a case: a vulnerability in requests < 2.31.0, which the Web shop 2.3.0 release
    ships (added to the case by its SBOM) and 2.4.0 does not, an invited vendor and a proposed
    embargo. Return the case's identifier. Idempotent: an existing demo case is left as it is."""
    from datetime import timedelta

    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group, Permission
    from django.utils import timezone

    from vulndesk.server.accounts.services import organisation_default
    from vulndesk.server.disclosure import embargo, impact, reports, services
    from vulndesk.server.disclosure.models import Case
    from vulndesk.server.disclosure.selectors import participant_for

    user = get_user_model().objects.get(username=username)
    psirt, _ = Group.objects.get_or_create(name="PSIRT")
    psirt.permissions.add(
        Permission.objects.get(content_type__app_label="disclosure", codename="triage_report")
    )
    psirt.permissions.add(
        Permission.objects.get(content_type__app_label="provider", codename="publish_csaf")
    )
    user.groups.add(psirt)
    organisation = organisation_default()
    _demo_provider_load(organisation)
    existing = Case.objects.filter(organisation=organisation, title=DEMO_CASE_TITLE).first()
    if existing is not None:
        return existing.identifier
    report, _secret = reports.report_submit(
        organisation=organisation,
        title=DEMO_CASE_TITLE,
        description="When a proxy with credentials is configured, requests before 2.31.0 sends "
        "the Proxy-Authorization header to the destination server on HTTPS redirects.",
        affected_product="Web shop",
        affected_versions="2.3.0",
        component_purl="pkg:pypi/requests",
        affected_range="vers:pypi/<2.31.0",
        reporter_name="Hanako Yamada",
        wants_credit=True,
        credit_name="Hanako Yamada",
        language="ja",
    )
    reports.report_transition(report=report, state="valid", acting_user=user)
    case = services.report_accept(report=report, acting_user=user)
    coordinator = participant_for(case_id=case.pk, user=user)
    vulnerability = services.case_vulnerability_add(
        actor=coordinator,
        title="Proxy-Authorization header leaked on HTTPS redirects",
        description="requests before 2.31.0 forwards proxy credentials to the destination host.",
        cwe="CWE-200",
        cvss_vector="CVSS:3.1/AV:N/AC:H/PR:N/UI:R/S:U/C:H/I:N/A:N",
        component_purl="pkg:pypi/requests",
        affected_range="vers:pypi/<2.31.0",
    )
    impact.case_releases_add_affected(actor=coordinator, vulnerability=vulnerability)
    services.participant_invite(
        actor=coordinator,
        email="psirt@vendor.example",
        role="vendor",
        organisation_name="Example HTTP library maintainers",
    )
    embargo.embargo_propose(actor=coordinator, end=(timezone.now() + timedelta(days=45)).date())
    services.case_message_post(
        actor=coordinator,
        body="Thank you for the report. We confirmed it on Web shop 2.3.0; 2.4.0 already ships "
        "requests 2.31.0. Proposed publication in 45 days.",
    )
    _demo_cra_event(user)
    return case.identifier


def _demo_provider_load(organisation: Any) -> None:
    """Make the demo organisation this site's CSAF provider, so that security.txt and the
    disclosure policy answer (once; the settings page changes them)."""
    from vulndesk.server.provider.models import ProviderSettings
    from vulndesk.server.provider.services import provider_settings_update

    if ProviderSettings.objects.filter(organisation=organisation).exists():
        return
    provider_settings_update(
        organisation=organisation,
        changes={
            "site_provider": True,
            "publisher_name": "Demo PSIRT",
            "namespace": "https://psirt.example.com",
            "contact_details": "psirt@example.com",
            "security_contacts": ["mailto:psirt@example.com"],
        },
        acting_user=None,
    )


def _demo_cra_event(user: Any) -> None:
    """Open a CRA event on the Web shop (placed on the EU market): a person's assertion that
    its PyYAML vulnerability is exploited, plainly marked as demo data, so that the compliance
    dashboard shows a running 24-hour clock."""
    from vulndesk.server.compliance.detection import exploitation_assert
    from vulndesk.server.findings.models import Finding

    finding = Finding.objects.filter(
        product__name="Web shop", release__version="2.3.0", vulnerability_id="CVE-2020-14343"
    ).first()
    if finding is not None:
        exploitation_assert(
            finding=finding,
            evidence="Demo data: a customer's SOC reported exploitation attempts against the "
            "shop's YAML import (illustrative, not a real report).",
            acting_user=user,
        )


def _demo_sbom(path: Path, upgrades: dict[str, str]) -> bytes:
    """Return the SBOM at ``path`` with the versions of the packages in ``upgrades`` replaced."""
    content = path.read_bytes()
    for package, version in upgrades.items():
        document = json.loads(content)
        for component in document.get("components", []):
            if component.get("name") == package:
                old = component["version"]
                component["version"] = version
                component["purl"] = component["purl"].replace(f"@{old}", f"@{version}")
        content = json.dumps(document, indent=2).encode()
    return content


def next_steps(sboms: list[Path], *, port: int, serving: bool) -> str:
    """Return the "what to try next" text: exact commands on the copied SBOMs and the web URL."""
    exe = _command()
    steps: list[tuple[str, str]] = []
    if os.environ.get("VULNDESK_HOME"):
        steps.append((f"export VULNDESK_HOME={shlex.quote(str(config.home().resolve()))}", ""))
    for number, sbom in enumerate(sboms):
        steps.append((f"{exe} scan {_shown(sbom)}", "findings as a table" if number == 0 else ""))
    first = _shown(sboms[0])
    steps.append((f"{exe} scan {first} --format json", "the JSON report"))
    steps.append((f"{exe} scan {first} --fail-on high", "exit code 1: a HIGH or worse finding"))
    shared = _shared_pypi_export()
    if shared is not None:
        steps.append((f"{exe} feeds import {_shown(shared)}", "every PyPI advisory"))
    url = f"http://127.0.0.1:{port}/"
    if not serving:
        steps.append((f"{exe} serve --port {port}", f"then open {url}"))
    width = max(len(command) for command, _ in steps)
    lines = ["What to try next:"]
    if os.environ.get("VULNDESK_DATABASE_URL"):
        lines.append("  (in this environment: VULNDESK_DATABASE_URL names the demo database)")
    lines += [f"  {c:<{width}}  # {note}" if note else f"  {c}" for c, note in steps]
    login = f"log in as {DEMO_USER} / {DEMO_PASSWORD}"
    if serving:
        lines.append(f"\nWeb interface: {url}  ({login}; Ctrl-C stops the server)")
    else:
        lines.append(f"\nWeb interface, once served: {url}  ({login})")
    return "\n".join(lines)


def _command() -> str:
    """Return how to call ``vulndesk`` from here: bare when on PATH, else the venv's script."""
    script = Path(sys.executable).parent / "vulndesk"
    found = shutil.which("vulndesk")
    if not script.exists() or (found and Path(found).resolve() == script.resolve()):
        return "vulndesk"
    return _shown(script)


def _shared_pypi_export() -> Path | None:
    """Return the shared PyPI bulk export beside the working directory or this checkout, if any."""
    checkout = Path(vulndesk.__file__).resolve().parents[2]
    for base in (Path.cwd().parent, checkout.parent):
        if (base / SHARED_PYPI).is_file():
            return base / SHARED_PYPI
    return None


def _shown(path: Path) -> str:
    """Return ``path`` for a command line: relative when it lies under the working directory."""
    absolute = path.resolve()
    try:
        shown = str(absolute.relative_to(Path.cwd().resolve()))
    except ValueError:
        shown = str(absolute)  # elsewhere: "../../x" reads worse than the absolute path
    return shlex.quote(shown)
