"""Japanese: the catalogue is complete and compiled, pages render in Japanese from the browser's
Accept-Language or the language switcher's cookie."""

from __future__ import annotations

import ast
import gettext
import io
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client

from support import ROOT

WEB = ROOT / "src/vulndesk/server/web"
PO = WEB / "locale/ja/LC_MESSAGES/django.po"
MO = WEB / "locale/ja/LC_MESSAGES/django.mo"

Entry = tuple[str | None, str, str | None]  # (context, msgid, msgid_plural)


def _unquote(line: str) -> str:
    value = ast.literal_eval(line.strip())
    assert isinstance(value, str)
    return value


def read_po(path: Path) -> dict[Entry, list[str]]:
    """Return {(context, msgid, plural): [translations]} of a .po file (header left out)."""
    entries: dict[Entry, list[str]] = {}
    for block in path.read_text(encoding="utf-8").strip().split("\n\n"):
        fields: dict[str, str] = {}
        current = None
        for line in block.splitlines():
            if line.startswith("#"):
                continue
            if line.startswith('"'):
                assert current is not None
                fields[current] += _unquote(line)
                continue
            current, _, rest = line.partition(" ")
            fields[current] = _unquote(rest)
        if fields.get("msgid"):
            key = (fields.get("msgctxt"), fields["msgid"], fields.get("msgid_plural"))
            entries[key] = [v for k, v in sorted(fields.items()) if k.startswith("msgstr")]
    return entries


def source_messages() -> set[tuple[str | None, str]]:
    """Return the (context, msgid) of every string the web app marks for translation."""
    found: set[tuple[str | None, str]] = set()
    for template in (WEB / "templates").rglob("*.html"):
        source = template.read_text(encoding="utf-8")
        found |= {(None, m[2]) for m in re.finditer(r"{% translate (['\"])(.+?)\1", source)}
        for block in re.finditer(
            r"{% blocktranslate.*?%}(.*?){% (?:plural|endblocktranslate)", source, re.S
        ):
            found.add((None, re.sub(r"{{ (\w+) }}", r"%(\1)s", block.group(1))))
    for module in WEB.rglob("*.py"):
        for node in ast.walk(ast.parse(module.read_text(encoding="utf-8"))):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)):
                continue
            args = [a.value for a in node.args if isinstance(a, ast.Constant)]
            if node.func.id in {"_", "gettext", "gettext_lazy"} and args:
                found.add((None, args[0]))
            elif node.func.id in {"pgettext", "pgettext_lazy"} and len(args) == 2:
                found.add((args[0], args[1]))
    return found


def test_every_marked_string_has_a_japanese_translation() -> None:
    entries = read_po(PO)
    known = {(context, msgid) for context, msgid, _ in entries}
    missing = sorted(source_messages() - known, key=str)
    assert missing == [], "run makemessages -l ja in src/vulndesk/server/web and translate"
    untranslated = [key for key, values in entries.items() if not all(values)]
    assert untranslated == []


def test_the_compiled_catalogue_matches_the_po_file() -> None:
    with MO.open("rb") as file:
        compiled = gettext.GNUTranslations(file)
    stale = []
    for (context, msgid, plural), values in read_po(PO).items():
        if plural is not None:
            got = compiled.ngettext(msgid, plural, 2)
        elif context is not None:
            got = compiled.pgettext(context, msgid)
        else:
            got = compiled.gettext(msgid)
        if got != values[0]:
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
