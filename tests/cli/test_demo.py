"""``vulndesk demo``: demo data in a fresh database, the next commands printed, idempotent; and
the web interface it serves, static files included, without DEBUG."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time

import httpx
import pytest


def test_demo_loads_the_data_and_names_the_next_commands(cli) -> None:  # type: ignore[no-untyped-def]
    result = cli("demo", "--no-serve")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "8 demo advisories (8 new, 0 updated, 0 unchanged)" in out
    assert "user 'demo', password 'demo'" in out
    # a disclosure case to click through: the report it came from, accepted, an embargo proposed
    assert "demo disclosure case: VDC-" in out and "an embargo proposed" in out
    copies = cli.home / "demo"
    assert sorted(p.name for p in copies.iterdir()) == [
        "api-gateway.spdx.json",
        "shop-web.cdx.json",
    ]
    shop = str(copies / "shop-web.cdx.json")
    assert f"export VULNDESK_HOME={cli.home}" in out
    assert f"vulndesk scan {shop} " in out
    assert f"vulndesk scan {copies / 'api-gateway.spdx.json'}" in out
    assert f"vulndesk scan {shop} --format json" in out
    assert f"vulndesk scan {shop} --fail-on high" in out
    assert "vulndesk serve --port 8000" in out and "http://127.0.0.1:8000/" in out

    # the printed commands work on the demo database
    scanned = cli("scan", shop, "--format", "json")
    assert scanned.returncode == 0, scanned.stderr
    report = json.loads(scanned.stdout)
    assert report["summary"]["findings"] == 4
    assert cli("scan", shop, "--fail-on", "high").returncode == 1


def test_demo_twice_is_idempotent(cli) -> None:  # type: ignore[no-untyped-def]
    assert cli("demo", "--no-serve").returncode == 0
    (cli.home / "demo" / "shop-web.cdx.json").write_text("edited by the user")
    again = cli("demo", "--no-serve")
    assert again.returncode == 0, again.stderr
    assert "8 demo advisories (0 new, 0 updated, 8 unchanged)" in again.stdout
    first_case = cli("demo", "--no-serve").stdout.split("demo disclosure case: ")[1].split()[0]
    assert f"demo disclosure case: {first_case} " in again.stdout  # the same case, not a new one
    report = json.loads(cli("scan", cli.home / "demo/shop-web.cdx.json", "--format", "json").stdout)
    assert report["summary"]["findings"] == 4  # the copy is restored


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_demo_serves_the_web_interface_without_debug(cli) -> None:  # type: ignore[no-untyped-def]
    port = _free_port()
    env = {**cli.env(), "PYTHONUNBUFFERED": "1"}  # no VULNDESK_DEBUG: cli.env() drops it
    server = subprocess.Popen(
        [sys.executable, "-m", "vulndesk", "demo", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                login = httpx.get(f"{base}/login/", timeout=2)
                break
            except httpx.TransportError:
                if server.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"the demo server did not start: {server.stdout.read()}")  # type: ignore[union-attr]
                time.sleep(0.2)
        assert login.status_code == 200
        with httpx.Client(base_url=base, timeout=10) as browser:
            page = browser.get("/login/")
            token = browser.cookies["csrftoken"]
            answer = browser.post(
                "/login/",
                data={"username": "demo", "password": "demo", "csrfmiddlewaretoken": token},
                headers={"Referer": f"{base}/login/"},
            )
            assert answer.status_code == 302, page.text
            dashboard = browser.get("/")
            assert dashboard.status_code == 200
            assert "Latest feed imports" in dashboard.text
            css = browser.get("/static/web/vulndesk.css")
            assert css.status_code == 200 and css.headers["content-type"].startswith("text/css")
            assert browser.get("/static/web/vendor/htmx.min.js").status_code == 200
            # the disclosure and compliance pages have something to click through
            assert "VDC-" in browser.get("/cases/").text
            assert "CVE-2020-14343" in browser.get("/compliance/").text
            # the demo organisation is the site's CSAF provider: security.txt and the policy
            security_txt = httpx.get(f"{base}/.well-known/security.txt", timeout=10)
            assert security_txt.status_code == 200
            assert "Contact: mailto:psirt@example.com" in security_txt.text
            assert "CSAF: " in security_txt.text
            assert httpx.get(f"{base}/security/policy/", timeout=10).status_code == 200
    finally:
        server.terminate()
        server.wait(timeout=20)
