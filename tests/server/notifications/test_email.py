"""E-mail notifications through a real loopback SMTP server, to those who may see the product."""

from __future__ import annotations

from datetime import timedelta
from email.header import decode_header, make_header

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import ImproperlyConfigured

from vulndesk.server.accounts.models import UserProfile
from vulndesk.server.accounts.services import team_create
from vulndesk.server.audit.models import AuditEvent
from vulndesk.server.inventory.models import Release, Role
from vulndesk.server.inventory.services import product_grant
from vulndesk.server.notifications.models import Delivery, EmailSubscription
from vulndesk.server.notifications.services import (
    email_subscription_delete,
    email_subscription_set,
    notifications_deliver,
)
from vulndesk.server.settings import mailer_config


def _user(name: str, **extra):
    return get_user_model().objects.create_user(name, f"{name}@example.org", "pw", **extra)


@pytest.fixture
def people(portfolio):
    """alice is in the product's team, bob is not, root is a superuser; all subscribed."""
    alice, bob = _user("alice"), _user("bob")
    root = _user("root", is_superuser=True, is_staff=True)
    team = team_create(organisation=portfolio.organisation, name="Shop team", members=[alice])
    product_grant(product=portfolio.product, team=team, role=Role.VIEWER, acting_user=None)
    email_subscription_set(user=alice, min_severity="low", acting_user=alice)
    email_subscription_set(user=bob, min_severity="low", acting_user=bob)
    email_subscription_set(user=root, min_severity="critical", acting_user=root)
    return alice, bob, root


def test_subscribers_get_the_findings_they_may_see(portfolio, people, mailbox) -> None:
    portfolio.finding("CVE-2024-0001", "critical")
    portfolio.finding("CVE-2024-0002", "medium", component="idna", version="2.7", fixed=())

    run = notifications_deliver()

    assert run.sent == 2
    (to_alice,) = mailbox.to("alice@example.org")
    assert to_alice["Subject"] == "[vulndesk] 2 new findings in 1 release"
    text = to_alice.get_payload()
    assert "Shop 1.0 (Acme): 1 critical, 1 medium" in text
    assert "CVE-2024-0001  requests 2.19.0  fixed in 2.20.0" in text
    assert "CVE-2024-0002  idna 2.7" in text
    # bob is in no team granted the product: he learns nothing of it
    assert mailbox.to("bob@example.org") == []
    # the superuser sees everything, from critical up only
    (to_root,) = mailbox.to("root@example.org")
    assert "CVE-2024-0001" in to_root.get_payload()
    assert "CVE-2024-0002" not in to_root.get_payload()
    assert {d.status for d in Delivery.objects.all()} == {"sent"}


def test_one_mail_per_subscriber_for_several_releases(portfolio, people, mailbox) -> None:
    other = Release.objects.create(product=portfolio.product, version="2.0")
    portfolio.finding("CVE-2024-0001", "high")
    portfolio.finding("CVE-2024-0009", "high", release=other)
    notifications_deliver()
    (message,) = mailbox.to("alice@example.org")
    assert message["Subject"] == "[vulndesk] 2 new findings in 2 releases"
    assert "Shop 1.0" in message.get_payload() and "Shop 2.0" in message.get_payload()


def test_mail_is_in_the_users_language(portfolio, people, mailbox) -> None:
    alice = people[0]
    UserProfile.objects.create(user=alice, language="ja")
    portfolio.finding("CVE-2024-0001", "critical")
    notifications_deliver()
    (message,) = mailbox.to("alice@example.org")
    assert message.get_content_charset() == "utf-8"
    subject = str(make_header(decode_header(message["Subject"])))
    assert subject == "[vulndesk] 1 リリースに新しい検出結果 1 件"
    body = message.get_payload(decode=True).decode("utf-8")
    assert "新しい検出結果を 1 件見つけました" in body
    assert "購読しているため" in body
    # the other subscriber has no language set: English, as the site's default
    (other,) = mailbox.to("root@example.org")
    assert "new finding" in other["Subject"]


def test_an_unreachable_mail_server_is_retried(portfolio, people, mailbox, settings) -> None:
    working = settings.MAILERS
    settings.MAILERS = {"default": mailer_config("smtp://127.0.0.1:9")}  # nothing listens there
    portfolio.finding("CVE-2024-0001", "critical")
    run = notifications_deliver()
    assert run.retrying == 2 and run.sent == 0
    assert "ConnectionRefusedError" in Delivery.objects.first().error
    settings.MAILERS = working
    run = notifications_deliver(now=run.next_retry_at + timedelta(seconds=1))
    assert run.sent == 2
    assert len(mailbox.to("alice@example.org")) == 1


def test_no_smtp_settings_no_mail(portfolio, people, settings) -> None:
    settings.EMAIL_ENABLED = False
    portfolio.finding("CVE-2024-0001", "critical")
    run = notifications_deliver()
    assert run.findings == 1 and run.created == 0


def test_subscription_changes_are_audited(people) -> None:
    alice = people[0]
    email_subscription_set(user=alice, min_severity="high", active=False, acting_user=alice)
    email_subscription_delete(user=alice, acting_user=alice)
    assert not EmailSubscription.objects.filter(user=alice).exists()
    actions = list(
        AuditEvent.objects.filter(object_type="email_subscription", actor=alice).values_list(
            "action", flat=True
        )
    )
    assert sorted(actions) == [
        "email_subscription.create",
        "email_subscription.delete",
        "email_subscription.update",
    ]


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("smtp://mail.example.org", ("mail.example.org", 25, "", "", False, False)),
        ("smtp+starttls://u%40x:p%3Aw@mx:2525", ("mx", 2525, "u@x", "p:w", True, False)),
        ("smtp+starttls://mx", ("mx", 587, "", "", True, False)),
        ("smtps://user:pw@mx", ("mx", 465, "user", "pw", False, True)),
    ],
)
def test_smtp_url(url: str, expected: tuple) -> None:
    config = mailer_config(url)
    assert config["BACKEND"] == "django.core.mail.backends.smtp.EmailBackend"
    keys = ("host", "port", "username", "password", "use_tls", "use_ssl")
    assert tuple(config["OPTIONS"][k] for k in keys) == expected


@pytest.mark.parametrize("url", ["http://mx", "smtp://", "smtp://user:secret@mx:notaport"])
def test_bad_smtp_url(url: str) -> None:
    with pytest.raises(ImproperlyConfigured) as caught:
        mailer_config(url)
    assert "secret" not in str(caught.value)
