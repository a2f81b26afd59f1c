"""Japanese: the catalogue is complete and compiled, pages render in Japanese from the browser's
Accept-Language or the language switcher's cookie."""

from __future__ import annotations

import ast
import contextlib
import gettext
import io
import os
import re
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.core.management import call_command
from django.test import Client

from support import ROOT

SERVER = ROOT / "src/vulndesk/server"
WEB = SERVER / "web"
PO = WEB / "locale/ja/LC_MESSAGES/django.po"
MO = WEB / "locale/ja/LC_MESSAGES/django.mo"

# the apps whose model strings (field names, choices) the pages show
APPS_SHOWN = (
    "accounts", "inventory", "findings", "jobs", "triage", "disclosure", "provider", "compliance",
)  # fmt: skip

Entry = tuple[str | None, str, str | None]  # (context, msgid, msgid_plural)


def _unquote(line: str) -> str:
    value = ast.literal_eval(line.strip())
    assert isinstance(value, str)
    return value


@dataclass
class PoEntry:
    translations: list[str]
    fuzzy: bool


def read_po(path: Path) -> dict[Entry, PoEntry]:
    """Return {(context, msgid, plural): entry} of a .po file (header and obsolete entries left
    out)."""
    entries: dict[Entry, PoEntry] = {}
    for block in path.read_text(encoding="utf-8").strip().split("\n\n"):
        fields: dict[str, str] = {}
        current = None
        fuzzy = False
        for line in block.splitlines():
            if line.startswith("#"):
                fuzzy |= line.startswith("#,") and "fuzzy" in line
                continue
            if line.startswith('"'):
                assert current is not None
                fields[current] += _unquote(line)
                continue
            current, _, rest = line.partition(" ")
            fields[current] = _unquote(rest)
        if fields.get("msgid"):
            key = (fields.get("msgctxt"), fields["msgid"], fields.get("msgid_plural"))
            translations = [v for k, v in sorted(fields.items()) if k.startswith("msgstr")]
            entries[key] = PoEntry(translations, fuzzy)
    return entries


# other modules whose messages users read: the login form's lockout message, the e-mail that
# announces new findings (sent in the subscriber's language)
MESSAGES_SHOWN = [
    "accounts/lockout.py",
    "notifications/services.py",
    "disclosure/notify.py",
    "disclosure/reminders.py",
    "provider/advisory_page.py",
    "provider/forms.py",
]


def extract_catalogue(work: Path) -> Path:
    """Return a .po file made the way the real one is: ``makemessages -l ja`` over the web app
    and the models of APPS_SHOWN (their field names and choices show in its pages; Django merges
    every app's catalogue, so one catalogue can translate them), merged with the current
    Japanese translations.

    It runs in a copy of the web app under ``work``, so the tree is never written to. To update
    the real catalogue after changing a string: ``VULNDESK_UPDATE_CATALOGUE=1 pytest -k
    catalogue tests/server/web/test_i18n.py``, translate the new entries, then ``msgfmt -o
    django.mo django.po`` in its folder.
    """
    copy = work / "web"
    shutil.copytree(WEB, copy, ignore=shutil.ignore_patterns("__pycache__", "static", "*.mo"))
    models = copy / "_models"
    models.mkdir()
    for app in APPS_SHOWN:
        shutil.copy(SERVER / app / "models.py", models / f"{app}.py")
    for source in MESSAGES_SHOWN:
        shutil.copy(SERVER / source, models / source.replace("/", "_"))
    with contextlib.chdir(copy):
        call_command("makemessages", locale=["ja"], no_location=True, no_obsolete=True, verbosity=0)
    return copy / "locale/ja/LC_MESSAGES/django.po"


@pytest.fixture(scope="module")
def extracted(tmp_path_factory: pytest.TempPathFactory) -> dict[Entry, PoEntry]:
    if not shutil.which("xgettext"):
        pytest.skip("GNU gettext (xgettext, msgmerge) is not installed")
    po = extract_catalogue(tmp_path_factory.mktemp("catalogue"))
    if os.environ.get("VULNDESK_UPDATE_CATALOGUE"):
        shutil.copy(po, PO)
    return read_po(po)


def test_the_catalogue_has_every_string_the_interface_marks(
    extracted: dict[Entry, PoEntry],
) -> None:
    stored = read_po(PO)
    missing = sorted(set(extracted) - set(stored), key=str)
    assert missing == [], "update the catalogue (see extract_catalogue) and translate"
    stale = sorted(set(stored) - set(extracted), key=str)
    assert stale == [], "entries no string uses any more: update the catalogue"


def test_every_string_has_a_japanese_translation(extracted: dict[Entry, PoEntry]) -> None:
    untranslated = [key for key, entry in extracted.items() if not all(entry.translations)]
    assert untranslated == []
    fuzzy = [key for key, entry in extracted.items() if entry.fuzzy]
    assert fuzzy == [], "a guessed (fuzzy) translation: check it, then drop the fuzzy flag"


def test_the_compiled_catalogue_matches_the_po_file() -> None:
    with MO.open("rb") as file:
        compiled = gettext.GNUTranslations(file)
    stale = []
    for (context, msgid, plural), entry in read_po(PO).items():
        if plural is not None:
            got = compiled.ngettext(msgid, plural, 2)
        elif context is not None:
            got = compiled.pgettext(context, msgid)
        else:
            got = compiled.gettext(msgid)
        if got != entry.translations[0]:
            stale.append(msgid)
    assert stale == [], "recompile: msgfmt -o django.mo django.po (or compilemessages)"


ENGLISH_UI = ["Dashboard", "Advisories", "Scan an SBOM", "Log out", "Severity", "Findings"]


def visible(content: bytes) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", content.decode()))


@pytest.mark.django_db
def test_accept_language_ja_gives_japanese_pages(
    user_client: Client, demo_advisories: None
) -> None:
    response = user_client.get("/", headers={"Accept-Language": "ja,en;q=0.5"})
    assert response["Content-Language"] == "ja"
    page = visible(response.content)
    assert '<html lang="ja">' in response.content.decode()
    for japanese in [
        "ダッシュボード",
        "アドバイザリ",
        "SBOM をスキャン",
        "ログアウト",
        "エイリアスグループ",
        "取り下げ済み",
        "最近のフィード取り込み",
    ]:
        assert japanese in page
    assert not [word for word in ENGLISH_UI if word in page]


@pytest.mark.django_db
def test_the_language_cookie_gives_japanese_pages(
    user_client: Client, demo_advisories: None
) -> None:
    user_client.cookies[settings.LANGUAGE_COOKIE_NAME] = "ja"
    page = visible(user_client.get("/advisories/GHSA-j8r2-6x86-q33q").content)
    for japanese in [
        "深刻度",
        "警告 6.1",
        "影響を受けるパッケージ",
        "影響を受けるバージョン",
        "エイリアスグループ",
        "参考情報",
        "元のレコード",
    ]:
        assert japanese in page
    listed = visible(user_client.get("/advisories/", {"q": "requests"}).content)
    assert "アドバイザリ 3 件" in listed


@pytest.mark.django_db
def test_scan_results_in_japanese(user_client: Client, demo_advisories: None) -> None:
    user_client.cookies[settings.LANGUAGE_COOKIE_NAME] = "ja"
    with (ROOT / "src/vulndesk/demo/data/sboms/shop-web.cdx.json").open("rb") as file:
        response = user_client.post("/scan/", {"sbom": file})
    page = visible(response.content)
    for japanese in [
        "shop-web.cdx.json のスキャン結果",
        "検出結果",
        "緊急 9.8",
        "修正済みバージョン",
        "影響を受けるバージョン",
        "コンポーネント",
        "未評価",
        "理由",
    ]:
        assert japanese in page
    not_an_sbom = io.BytesIO(b"not an sbom")
    not_an_sbom.name = "notes.txt"
    bad = user_client.post("/scan/", {"sbom": not_an_sbom})
    assert "このファイルは SBOM として読み込めませんでした。" in visible(bad.content)


@pytest.mark.django_db
def test_the_switcher_sets_the_language(user_client: Client) -> None:
    page = user_client.get("/scan/").content.decode()
    assert '<form class="langswitch" action="/i18n/setlang/" method="post">' in page
    assert 'value="ja" lang="ja">日本語</button>' in page
    response = user_client.post("/i18n/setlang/", {"language": "ja", "next": "/scan/"})
    assert response.status_code == 302 and response["Location"] == "/scan/"
    assert user_client.cookies[settings.LANGUAGE_COOKIE_NAME].value == "ja"
    assert "SBOM ファイル" in visible(user_client.get("/scan/").content)
    user_client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    assert "Dashboard" in visible(user_client.get("/").content)


@pytest.mark.django_db
def test_the_login_page_speaks_japanese(client: Client) -> None:
    page = visible(client.get("/login/", headers={"Accept-Language": "ja"}).content)
    assert "vulndesk にログイン" in page and "ユーザー名" in page and "パスワード" in page


@pytest.mark.django_db
def test_the_portfolio_pages_speak_japanese(user_client: Client, portfolio: Any) -> None:
    user_client.cookies[settings.LANGUAGE_COOKIE_NAME] = "ja"
    product, release = portfolio.product, portfolio.release
    expected = {
        "/": [
            "未解決の検出結果",
            "リスクの推移",
            "深刻度の高い検出結果",
            "最近のジョブ",
            "緊急 9.8",
        ],
        "/products/": ["製品", "露出度", "リリース", "公開"],
        f"/products/{product.pk}/": [
            "資産の状況",
            "ミッションへの影響",
            "支援",
            "アクセス権",
            "所有者",
        ],
        f"/products/{product.pk}/edit/": ["名前", "露出度", "上位製品"],
        f"/releases/{release.pk}/": ["解析", "解析済み", "待機中", "SBOM をアップロード", "推移的"],
        "/findings/": ["深刻度の高い順", "悪用が確認済み", "未解決", "選択した項目を再照合"],
        "/jobs/": ["SBOM 解析", "待機中", "実行者"],
        "/account/": ["表示言語", "ブラウザーの設定に従う", "API トークン"],
        "/components/?name=jinja2": ["コンポーネントの使用箇所", "直接"],
    }
    for url, words in expected.items():
        page = visible(user_client.get(url).content)
        missing = [word for word in words if word not in page]
        assert missing == [], url
        assert not [word for word in ["Dashboard", "Findings", "Log out"] if word in page], url
    # dates and numbers in Japanese notation
    page = visible(user_client.get(f"/releases/{release.pk}/").content)
    assert re.search(r"\d{4}/\d{2}/\d{2} \d{1,2}:\d{2}", page)
