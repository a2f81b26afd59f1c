"""A CRA or NIS2 report as a PDF for submission: A4, one labelled table per section, in English or
Japanese.

Fonts: text is drawn with TrueType fonts found on the system (``LATIN_FONT_PATHS``,
``JAPANESE_FONT_PATHS``; the first is the main font, the others fill in the characters it lacks).
Japanese needs an IPA or Noto font; without one, or without any TrueType font at all (then the
built-in Helvetica, Latin-1 only), every character no font can draw is written as "?", so a report
never fails to render for want of a font. Control characters (except line breaks), unpaired
surrogates, private-use and unassigned code points become "?" too.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path
from typing import Final, Literal

from fpdf import FPDF, XPos, YPos
from fpdf.fonts import TTFFont

from vulndesk.core.regulation.reports import (
    CraReportContent,
    ReportContent,
    iso_utc,
    missing_fields,
    report_json,
)

__all__ = ["JAPANESE_FONT_PATHS", "LATIN_FONT_PATHS", "Language", "report_pdf"]

type Language = Literal["en", "ja"]

# Debian/Ubuntu package paths first (fonts-ipafont-gothic, fonts-ipaexfont-gothic,
# fonts-noto-cjk is .ttc/.otf which we do not load), then common manual installs.
JAPANESE_FONT_PATHS: Final = (
    Path("/usr/share/fonts/opentype/ipafont-gothic/ipag.ttf"),
    Path("/usr/share/fonts/truetype/fonts-japanese-gothic.ttf"),
    Path("/usr/share/fonts/opentype/ipaexfont-gothic/ipaexg.ttf"),
    Path("/usr/share/fonts/truetype/ipaexfont-gothic/ipaexg.ttf"),
    Path("/usr/share/fonts/truetype/noto/NotoSansJP-Regular.ttf"),
    Path("/usr/share/fonts/noto/NotoSansJP-Regular.ttf"),
    Path("/usr/share/fonts/ipa-gothic/ipag.ttf"),
)
LATIN_FONT_PATHS: Final = (
    Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"),
    Path("/usr/share/fonts/dejavu/DejaVuSans.ttf"),
    Path("/usr/share/fonts/truetype/noto/NotoSans-Regular.ttf"),
    Path("/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf"),
)

_LABEL_WIDTH: Final = 58.0  # mm, of the 180 mm between the margins
_LINE: Final = 5.0  # mm per line of table text
_UNDRAWABLE: Final = frozenset({"Cc", "Cs", "Co", "Cn"})
# Fields whose values (Impact, EntityType) have labels of their own; free text is never translated.
_ENUM_PATHS: Final = frozenset(
    {"impact.confidentiality", "impact.integrity", "impact.availability", "entity.type"}
)

# --- labels ------------------------------------------------------------------------------

_EN: Final[dict[str, str]] = {
    "regime.cra_vulnerability": "EU Cyber Resilience Act, Article 14(2): actively exploited "
    "vulnerability",
    "regime.cra_incident": "EU Cyber Resilience Act, Article 14(4): severe incident",
    "regime.nis2_incident": "NIS2 Directive, Article 23: significant incident",
    "kind.early_warning": "Early warning",
    "kind.notification": "Notification",
    "kind.final": "Final report",
    "section.report": "Report",
    "section.manufacturer": "Manufacturer",
    "section.product": "Product",
    "section.vulnerability": "Vulnerability",
    "section.exploitation": "Exploitation",
    "section.measures": "Corrective and mitigating measures",
    "section.final": "Final report",
    "section.entity": "Entity",
    "section.incident": "Incident",
    "section.impact": "Impact and risk assessment",
    "section.missing": "Missing before submission",
    "regime": "Regime",
    "kind": "Report kind",
    "aware_at": "Became aware at",
    "due_at": "Due at",
    "submitted_at": "Submitted at",
    "tlp": "Sharing (TLP)",
    "sensitive": "Sensitive information",
    "manufacturer.name": "Name",
    "manufacturer.address": "Address",
    "manufacturer.contact": "Contact",
    "manufacturer.eu_representative": "EU authorised representative",
    "product.name": "Name",
    "product.type": "Type",
    "product.versions_affected": "Affected versions",
    "product.purls": "Package URLs (purl)",
    "product.cpes": "CPE names",
    "member_states": "Member states where the product is made available",
    "member_states_unknown": "Member states not known",
    "vulnerability_ids": "Identifiers (CVE, EUVD)",
    "nature.cwe_ids": "Weakness (CWE)",
    "nature.description": "Nature of the vulnerability",
    "severity.cvss_vector": "CVSS vector",
    "severity.cvss_score": "CVSS score",
    "exploitation.evidence": "Evidence of exploitation",
    "exploitation.source": "Source of the evidence",
    "exploitation.since": "Exploited since",
    "exploitation.exploit_nature": "General nature of the exploit",
    "exploitation.malicious_actor": "Malicious actor",
    "measures.available": "Measures available",
    "measures.taken": "Measures taken",
    "measures.for_users": "Measures users can take",
    "root_cause": "Root cause",
    "security_update": "Security update",
    "entity.name": "Name",
    "entity.type": "Type",
    "entity.sector": "Sector",
    "incident_description": "Description of the incident",
    "detected_at": "Detected at",
    "exploitation": "Suspected unlawful or malicious acts",
    "cross_border_impact": "Cross-border impact",
    "societal_impact": "Societal impact",
    "impact.confidentiality": "Impact on confidentiality",
    "impact.integrity": "Impact on integrity",
    "impact.availability": "Impact on availability",
    "significant": "Significant incident",
    "risk_assessment": "Risk assessment",
    "measures": "Mitigation measures applied and ongoing",
    "threat_type": "Threat type",
    "value.true": "Yes",
    "value.false": "No",
    "value.empty": "(not provided)",
    "value.none": "None",
    "value.low": "Low",
    "value.medium": "Medium",
    "value.high": "High",
    "value.essential": "Essential entity",
    "value.important": "Important entity",
    "value.not_submitted": "not submitted yet",
    "value.not_started": "clock not started",
    "draft": "DRAFT: not submitted",
    "footer": "generated by vulndesk on {time}",
    "page": "Page {page} of {{nb}}",
}

_JA: Final[dict[str, str]] = {
    "regime.cra_vulnerability": "EU サイバーレジリエンス法 第14条第2項: "
    "積極的に悪用されている脆弱性",
    "regime.cra_incident": "EU サイバーレジリエンス法 第14条第4項: 重大インシデント",
    "regime.nis2_incident": "NIS2 指令 第23条: 重大インシデント",
    "kind.early_warning": "早期警告",
    "kind.notification": "通知",
    "kind.final": "最終報告",
    "section.report": "報告",
    "section.manufacturer": "製造者",
    "section.product": "製品",
    "section.vulnerability": "脆弱性",
    "section.exploitation": "悪用",
    "section.measures": "是正措置・緩和措置",
    "section.final": "最終報告",
    "section.entity": "事業体",
    "section.incident": "インシデント",
    "section.impact": "影響とリスク評価",
    "section.missing": "提出前に未記入の項目",
    "regime": "制度",
    "kind": "報告の種類",
    "aware_at": "認知日時",
    "due_at": "期限",
    "submitted_at": "提出日時",
    "tlp": "共有範囲 (TLP)",
    "sensitive": "機微な情報",
    "manufacturer.name": "名称",
    "manufacturer.address": "所在地",
    "manufacturer.contact": "連絡先",
    "manufacturer.eu_representative": "EU 域内代理人",
    "product.name": "製品名",
    "product.type": "製品の種類",
    "product.versions_affected": "影響を受けるバージョン",
    "product.purls": "パッケージ URL (purl)",
    "product.cpes": "CPE 名",
    "member_states": "製品が提供されている加盟国",
    "member_states_unknown": "加盟国は不明",
    "vulnerability_ids": "識別子 (CVE, EUVD)",
    "nature.cwe_ids": "脆弱性の種類 (CWE)",
    "nature.description": "脆弱性の性質",
    "severity.cvss_vector": "CVSS ベクトル",
    "severity.cvss_score": "CVSS スコア",
    "exploitation.evidence": "悪用の証拠",
    "exploitation.source": "証拠の出所",
    "exploitation.since": "悪用の開始",
    "exploitation.exploit_nature": "悪用手法の概要",
    "exploitation.malicious_actor": "攻撃者",
    "measures.available": "利用可能な措置",
    "measures.taken": "実施した措置",
    "measures.for_users": "利用者が取れる措置",
    "root_cause": "根本原因",
    "security_update": "セキュリティ更新",
    "entity.name": "名称",
    "entity.type": "種別",
    "entity.sector": "部門",
    "incident_description": "インシデントの内容",
    "detected_at": "検知日時",
    "exploitation": "不正または悪意ある行為の疑い",
    "cross_border_impact": "国境を越える影響",
    "societal_impact": "社会的影響",
    "impact.confidentiality": "機密性への影響",
    "impact.integrity": "完全性への影響",
    "impact.availability": "可用性への影響",
    "significant": "重大インシデント",
    "risk_assessment": "リスク評価",
    "measures": "実施済み・実施中の緩和措置",
    "threat_type": "脅威の種類",
    "value.true": "はい",
    "value.false": "いいえ",
    "value.empty": "(未記入)",
    "value.none": "なし",
    "value.low": "低",
    "value.medium": "中",
    "value.high": "高",
    "value.essential": "不可欠な事業体",
    "value.important": "重要な事業体",
    "value.not_submitted": "未提出",
    "value.not_started": "期限の起算前",
    "draft": "下書き: 未提出",
    "footer": "vulndesk により {time} に生成",
    "page": "{page} / {{nb}} ページ",
}

_LABELS: Final[dict[str, dict[str, str]]] = {"en": _EN, "ja": _JA}

# Sections of each report and the JSON paths (report_json keys) they show, in order.
_CRA_SECTIONS: Final = (
    ("report", ("regime", "kind", "aware_at", "due_at", "submitted_at", "tlp", "sensitive")),
    (
        "manufacturer",
        (
            "manufacturer.name",
            "manufacturer.address",
            "manufacturer.contact",
            "manufacturer.eu_representative",
        ),
    ),
    (
        "product",
        (
            "product.name",
            "product.type",
            "product.versions_affected",
            "product.purls",
            "product.cpes",
            "member_states",
            "member_states_unknown",
        ),
    ),
    (
        "vulnerability",
        (
            "vulnerability_ids",
            "nature.cwe_ids",
            "nature.description",
            "severity.cvss_vector",
            "severity.cvss_score",
        ),
    ),
    (
        "exploitation",
        (
            "exploitation.evidence",
            "exploitation.source",
            "exploitation.since",
            "exploitation.exploit_nature",
            "exploitation.malicious_actor",
        ),
    ),
    ("measures", ("measures.available", "measures.taken", "measures.for_users")),
    ("final", ("root_cause", "security_update")),
)
_NIS2_SECTIONS: Final = (
    ("report", ("regime", "kind", "aware_at", "due_at", "submitted_at", "tlp")),
    ("entity", ("entity.name", "entity.type", "entity.sector")),
    (
        "incident",
        (
            "incident_description",
            "detected_at",
            "exploitation",
            "cross_border_impact",
            "societal_impact",
        ),
    ),
    (
        "impact",
        (
            "impact.confidentiality",
            "impact.integrity",
            "impact.availability",
            "significant",
            "risk_assessment",
        ),
    ),
    ("measures", ("measures",)),
    ("final", ("root_cause", "threat_type")),
)


def report_pdf(
    content: ReportContent,
    *,
    generated_at: datetime,
    language: Language = "en",
    fonts: Sequence[Path] | None = None,
) -> bytes:
    """Return ``content`` as an A4 PDF: title, regime and report kind, due and submitted times,
    one labelled table per section, the fields still missing for a draft, page numbers and a
    footer "generated by vulndesk on <UTC time>"; labels in English or Japanese (``language``).

    ``generated_at`` (timezone-aware) is the footer's time and the PDF's creation date: the same
    content, time, language and fonts give the same bytes. ``fonts`` lists TrueType files to use,
    main font first; None searches ``JAPANESE_FONT_PATHS`` and ``LATIN_FONT_PATHS`` (Japanese
    first for ``"ja"``), and an empty sequence uses the built-in Helvetica. Characters no font can
    draw are written as "?" (so Japanese without a Japanese font is all "?"): see the module
    docstring. User text of any kind (long words, line breaks, emoji, control characters) renders.
    """
    if language not in _LABELS:
        raise ValueError(f"unknown language {language!r}: expected 'en' or 'ja'")
    labels = _LABELS[language]
    stamp = iso_utc(generated_at)  # also rejects a naive time
    paths = list(fonts) if fonts is not None else _system_fonts(language)
    document = _ReportDocument(
        labels["footer"].format(time=stamp), labels["page"], [p for p in paths if p.is_file()]
    )
    document.set_creation_date(generated_at)
    document.set_creator("vulndesk")
    document.set_lang(language)
    document.set_title(document.clean(_title(content, labels)))
    document.add_page()
    _write(document, content, labels)
    return bytes(document.output())


def _system_fonts(language: Language) -> list[Path]:
    japanese = next((path for path in JAPANESE_FONT_PATHS if path.is_file()), None)
    latin = next((path for path in LATIN_FONT_PATHS if path.is_file()), None)
    ordered = (japanese, latin) if language == "ja" else (latin, japanese)
    return [path for path in ordered if path is not None]


def _title(content: ReportContent, labels: dict[str, str]) -> str:
    return f"{labels[f'kind.{content.kind.value}']}: {labels[f'regime.{content.regime.value}']}"


class _ReportDocument(FPDF):
    """An A4 page with our footer, and the fonts with what they can draw."""

    def __init__(self, footer_text: str, page_text: str, font_paths: Sequence[Path]) -> None:
        super().__init__(orientation="portrait", unit="mm", format="A4")
        self._footer_text = footer_text
        self._page_text = page_text
        self.set_margins(15, 15, 15)
        self.set_auto_page_break(auto=True, margin=18)
        families = []
        for index, path in enumerate(font_paths):
            family = f"report{index}"
            self.add_font(family, fname=str(path))
            families.append(family)
        self.report_font = families[0] if families else "helvetica"
        if families:
            cmaps = [font.cmap for font in self.fonts.values() if isinstance(font, TTFFont)]
            self._can_draw: Callable[[str], bool] = lambda c: any(ord(c) in m for m in cmaps)
            self.set_fallback_fonts(families[1:])
        else:
            self._can_draw = lambda c: ord(c) < 256  # Helvetica draws Latin-1
        self.set_font(self.report_font, size=10)

    def clean(self, text: str) -> str:
        """Return ``text`` with "\\n" line breaks and "?" for what cannot be drawn."""
        text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\t", "    ")
        return "".join(
            c
            if c == "\n" or (unicodedata.category(c) not in _UNDRAWABLE and self._can_draw(c))
            else "?"
            for c in text
        )

    def paragraph(self, text: str, *, size: float, height: float, fill: bool = False) -> None:
        """Write ``text`` across the page at ``size`` points, then go to the next line."""
        self.set_font(self.report_font, size=size)
        self.multi_cell(
            self.epw,
            height,
            self.clean(text),
            align="L",
            fill=fill,
            padding=(0, 2) if fill else 0,
            new_x=XPos.LMARGIN,
            new_y=YPos.NEXT,
        )

    def footer(self) -> None:
        self.set_y(-13)
        self.set_font(self.report_font, size=8)
        self.set_text_color(110)
        self.cell(120, 5, self.clean(self._footer_text))
        self.cell(0, 5, self.clean(self._page_text.format(page=self.page_no())), align="R")
        self.set_text_color(0)


def _write(document: _ReportDocument, content: ReportContent, labels: dict[str, str]) -> None:
    document.paragraph(labels[f"kind.{content.kind.value}"], size=17, height=8)
    document.paragraph(labels[f"regime.{content.regime.value}"], size=11, height=6)
    due = _display(_iso_or_none(content.due_at), "due_at", labels)
    submitted = _display(_iso_or_none(content.submitted_at), "submitted_at", labels)
    document.paragraph(
        f"{labels['due_at']}: {due}    {labels['submitted_at']}: {submitted}", size=10, height=6
    )
    if content.submitted_at is None:
        document.set_text_color(170, 0, 0)
        document.paragraph(labels["draft"], size=10, height=6)
        document.set_text_color(0)

    flat = _flatten(report_json(content))
    sections = _CRA_SECTIONS if isinstance(content, CraReportContent) else _NIS2_SECTIONS
    for section, paths in sections:
        _section(document, labels[f"section.{section}"])
        for path in paths:
            _row(document, labels[path], _display(flat[path], path, labels))
    missing = missing_fields(content)
    if missing:
        _section(document, labels["section.missing"])
        for path in missing:
            _row(document, labels[path], path)


def _flatten(data: dict[str, object], prefix: str = "") -> dict[str, object]:
    flat: dict[str, object] = {}
    for key, value in data.items():
        path = f"{prefix}{key}"
        if isinstance(value, dict):
            flat.update(_flatten(value, f"{path}."))
        else:
            flat[path] = value
    return flat


def _display(value: object, path: str, labels: dict[str, str]) -> str:
    """Return a JSON value as the text of a table cell."""
    if path in ("regime", "kind"):
        return labels[f"{path}.{value}"]
    if value is None and path in ("due_at", "submitted_at"):
        return labels["value.not_started" if path == "due_at" else "value.not_submitted"]
    if isinstance(value, bool):
        return labels[f"value.{str(value).lower()}"]
    if value is None or value == "" or value == []:
        return labels["value.empty"]
    if isinstance(value, list):
        return "\n".join(str(item) for item in value)
    if path in _ENUM_PATHS:
        return labels[f"value.{value}"]
    return str(value)


def _section(document: _ReportDocument, title: str) -> None:
    if document.will_page_break(3 * _LINE + 9):
        document.add_page()  # keep a heading with its first row
    document.ln(3)
    document.set_fill_color(226, 232, 240)
    document.paragraph(title, size=12, height=7, fill=True)
    document.set_font(document.report_font, size=9)


def _row(document: _ReportDocument, label: str, value: str) -> None:
    """One table row: the label on the left, the value (which may run over pages) on the right,
    a hairline below."""
    if document.will_page_break(3 * _LINE):  # room for the label, so it stays beside its value
        document.add_page()
    left = document.l_margin
    top = document.get_y()
    page = document.page
    document.set_text_color(80)
    document.multi_cell(_LABEL_WIDTH, _LINE, document.clean(label), align="L", new_x=XPos.LMARGIN)
    label_bottom = document.get_y()
    document.set_text_color(0)
    document.set_xy(left + _LABEL_WIDTH + 2, top)
    document.multi_cell(
        document.epw - _LABEL_WIDTH - 2,
        _LINE,
        document.clean(value),
        align="L",
        new_x=XPos.LMARGIN,
        new_y=YPos.NEXT,
    )
    if document.page == page:
        document.set_y(max(document.get_y(), label_bottom))
    document.set_draw_color(203, 213, 225)
    document.line(left, document.get_y() + 0.5, left + document.epw, document.get_y() + 0.5)
    document.set_y(document.get_y() + 1)


def _iso_or_none(moment: datetime | None) -> str | None:
    return iso_utc(moment) if moment is not None else None
