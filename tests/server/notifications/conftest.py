"""Fixtures of the notification tests: a product with findings, and real loopback receivers
(an HTTP server for webhooks, an SMTP server for e-mail)."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from django.utils import timezone

from vulndesk.server.accounts.models import Organisation
from vulndesk.server.findings.models import SEVERITY_RANK, Finding, FindingStatus
from vulndesk.server.inventory.models import (
    Component,
    ComponentIdentity,
    Product,
    Release,
    SbomDocument,
)
from vulndesk.server.settings import mailer_config


@dataclass
class Received:
    """One request the webhook receiver got."""

    path: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class WebhookReceiver:
    """A loopback HTTP server answering each POST with the next of ``statuses`` (then 200)."""

    url: str
    statuses: list[int] = field(default_factory=list)
    received: list[Received] = field(default_factory=list)


@pytest.fixture
def webhook_receiver() -> Iterator[WebhookReceiver]:
    receiver = WebhookReceiver(url="")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            receiver.received.append(Received(self.path, dict(self.headers.items()), body))
            status = receiver.statuses.pop(0) if receiver.statuses else 200
            self.send_response(status)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    receiver.url = f"http://127.0.0.1:{server.server_address[1]}/hooks/vulndesk"
    try:
        yield receiver
    finally:
        server.shutdown()
        server.server_close()


@dataclass
class Mailbox:
    """What the loopback SMTP server received."""

    host: str
    port: int
    messages: list[tuple[list[str], Message]] = field(default_factory=list)

    def to(self, address: str) -> list[Message]:
        return [m for rcpts, m in self.messages if address in rcpts]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def mailbox(settings: Any) -> Iterator[Mailbox]:
    """A real SMTP server on loopback, and the settings that send notification e-mail to it."""
    box = Mailbox("127.0.0.1", _free_port())

    class Handler:
        async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
            box.messages.append((list(envelope.rcpt_tos), message_from_bytes(envelope.content)))
            return "250 Message accepted"

    controller = Controller(Handler(), hostname=box.host, port=box.port)
    controller.start()
    settings.EMAIL_ENABLED = True
    settings.MAILERS = {"default": mailer_config(f"smtp://{box.host}:{box.port}")}
    try:
        yield box
    finally:
        controller.stop()


@dataclass
class Portfolio:
    organisation: Organisation
    product: Product
    release: Release
    sbom: SbomDocument

    def finding(
        self,
        vulnerability_id: str,
        severity: str = "high",
        *,
        release: Release | None = None,
        status: str = FindingStatus.ACTIVE,
        component: str = "requests",
        version: str = "2.19.0",
        fixed: tuple[str, ...] = ("2.20.0",),
    ) -> Finding:
        """Create an unannounced finding (``notified_at`` empty: in the outbox)."""
        release = release or self.release
        sbom = self.sbom if release == self.release else _sbom(release)
        purl = f"pkg:pypi/{component}@{version}"
        identity, _ = ComponentIdentity.objects.get_or_create(
            key=purl, defaults={"purl": purl, "name": component, "version": version}
        )
        part, _ = Component.objects.get_or_create(
            release=release,
            identity=identity,
            defaults={"sbom": sbom, "ref": purl, "name": component, "version": version,
                      "purl": purl},
        )  # fmt: skip
        now = timezone.now()
        return Finding.objects.create(
            product=release.product,
            release=release,
            component=part,
            identity=identity,
            vulnerability_id=vulnerability_id,
            severity=severity,
            severity_rank=SEVERITY_RANK[severity],
            fixed_versions=list(fixed),
            component_name=component,
            component_version=version,
            purl=purl,
            status=status,
            first_seen=now,
            last_seen=now,
        )


def _sbom(release: Release) -> SbomDocument:
    sbom = release.sboms.first()
    if sbom is None:
        sbom = SbomDocument.objects.create(
            release=release, file_name="sbom.cdx.json", content=b"{}", sha256="0" * 64, size=2
        )
    return sbom


@pytest.fixture
def portfolio(db: None) -> Portfolio:
    organisation = Organisation.objects.create(name="Acme", slug="acme")
    product = Product.objects.create(organisation=organisation, name="Shop")
    release = Release.objects.create(product=product, version="1.0")
    return Portfolio(organisation, product, release, _sbom(release))
