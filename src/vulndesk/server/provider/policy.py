# ruff: noqa: RUF001 - Japanese prose uses full-width parentheses, as it should
"""The default vulnerability disclosure policy, in Japanese and in English.

A starting point a PSIRT edits in its provider settings (the texts are stored, not these
constants: changing them here changes only new settings). Plain text, paragraphs separated by
blank lines; ``{organisation}``, ``{acknowledge_days}`` and ``{embargo_days}`` are filled in
by :func:`default_policy`. What it promises follows ISO/IEC 29147 and the CERT/CC guide to CVD:
an acknowledgement within days, a coordinated timeline (90 days by default), safe harbour for
good-faith research, credit on request.
"""

from __future__ import annotations

#: days to acknowledge a report, and the default coordinated disclosure timeline
ACKNOWLEDGE_DAYS = 5
EMBARGO_DAYS = 90

POLICY_EN = """\
{organisation} welcomes reports of security vulnerabilities in its products and services. \
This policy says what is in scope, how to report, and what you can expect from us.

Scope
All products and services that {organisation} develops, sells or operates, including their \
firmware, software, documentation and web sites. Out of scope: denial-of-service testing, \
social engineering, physical attacks, and vulnerabilities of third-party products (report \
those to their vendor or to a coordinator such as JPCERT/CC).

How to report
Send your report to one of the contacts in our security.txt (/.well-known/security.txt), \
encrypted with our key when it holds sensitive details. Please include the affected product and \
version, a description of the vulnerability, the steps to reproduce it, its impact as you see \
it, and how we can reach you. Reports in Japanese or English are welcome.

What we promise
- We acknowledge your report within {acknowledge_days} business days and tell you who handles it.
- We keep you informed of our analysis, the fix and the planned publication date.
- We coordinate disclosure with you: we aim to publish an advisory and a fix within \
{embargo_days} days of your report, and agree a different date with you when a fix needs more \
time or the vulnerability is being actively exploited.
- We publish our advisories in CSAF 2.0 and on our web site, and notify coordinators where \
required (for example JPCERT/CC and, under the EU Cyber Resilience Act, ENISA).

Safe harbour
We will not take legal action against, or ask law enforcement to investigate, anyone who \
researches and reports in good faith under this policy: who avoids privacy violations, data \
destruction and service disruption, accesses no more data than needed to show the \
vulnerability, and gives us reasonable time to fix it before disclosing it.

Credit
With your permission we thank you by name (or the name you choose) in the advisory and on our \
acknowledgments page.
"""

POLICY_JA = """\
{organisation}は、当社の製品およびサービスに関する脆弱性情報の届出を歓迎します。\
本ポリシーは、対象範囲、届出の方法、届出者の皆様へのお約束を定めるものです。

対象範囲
{organisation}が開発、販売または運用するすべての製品およびサービス（ファームウェア、ソフトウェア、\
ドキュメント、ウェブサイトを含みます）。サービス妨害（DoS）試験、ソーシャルエンジニアリング、\
物理的な攻撃、および他社製品の脆弱性は対象外です（他社製品については、その開発者または\
JPCERT/CC などの調整機関にご連絡ください）。

届出の方法
security.txt（/.well-known/security.txt）に記載の連絡先にお送りください。機微な情報を含む場合は、\
当社の公開鍵で暗号化してください。対象製品とバージョン、脆弱性の内容、再現手順、想定される影響、\
ご連絡先をお知らせください。日本語または英語で受け付けます。

当社のお約束
- 届出を受領してから {acknowledge_days} 営業日以内に受領の連絡をし、担当者をお知らせします。
- 分析の状況、修正、公表予定日について随時お知らせします。
- 公表の時期は届出者と調整します。届出から {embargo_days} 日以内にアドバイザリと修正を公開する\
ことを目標とし、修正に時間を要する場合や脆弱性が悪用されている場合は、届出者と協議のうえ\
別の日程を定めます。
- アドバイザリは CSAF 2.0 形式および当社ウェブサイトで公開し、必要に応じて調整機関\
（JPCERT/CC、EU サイバーレジリエンス法に基づく ENISA など）に通知します。

セーフハーバー
本ポリシーに従い善意で調査・届出を行う方に対し、当社は法的措置をとらず、捜査機関への申告も\
行いません。ただし、プライバシーの侵害、データの破壊およびサービスの妨害を避け、脆弱性の実証に\
必要な範囲を超えてデータにアクセスせず、公表前に修正のための合理的な期間を当社に与えていただく\
ことを条件とします。

謝辞
届出者の同意を得たうえで、アドバイザリおよび謝辞ページにお名前（またはご希望の名義）を掲載し、\
感謝の意を表します。
"""


def default_policy(organisation: str) -> tuple[str, str]:
    """Return the default policy for ``organisation``: (Japanese text, English text)."""
    values = {
        "organisation": organisation,
        "acknowledge_days": ACKNOWLEDGE_DAYS,
        "embargo_days": EMBARGO_DAYS,
    }
    return POLICY_JA.format(**values), POLICY_EN.format(**values)
