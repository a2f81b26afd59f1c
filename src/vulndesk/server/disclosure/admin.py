"""Django admin for disclosure: read-only, identifiers and states only.

Cases are need-to-know (``disclosure.selectors``): superusers are not participants by right, so
the admin shows no titles, descriptions, messages, statements, e-mail addresses or files, only
what an operator needs to find a row (ids, tracking ids, case identifiers, states, times).
Every change goes through ``disclosure.services``.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from vulndesk.server.accounts.admin import ReadOnlyModelAdmin
from vulndesk.server.disclosure.models import (
    Case,
    CaseAttachment,
    CaseMessage,
    CaseNotice,
    CaseRelease,
    CaseVulnerability,
    Participant,
    Report,
    ReportAttachment,
    ReportMessage,
    VendorStatus,
)


class ContentFreeAdmin(ReadOnlyModelAdmin):
    """Shows ``fields`` only (the list and the detail page alike), never searchable content."""

    fields: tuple[str, ...] = ()

    def get_fields(self, request: HttpRequest, obj: Any = None) -> tuple[str, ...]:
        return self.fields

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> tuple[str, ...]:
        return self.fields


@admin.register(Report)
class ReportAdmin(ContentFreeAdmin):
    fields = ("tracking_id", "organisation", "channel", "state", "case", "created_at")
    list_display = fields
    list_filter = ("state", "channel")
    search_fields = ("tracking_id",)
    list_select_related = ("organisation", "case")


@admin.register(Case)
class CaseAdmin(ContentFreeAdmin):
    fields = ("identifier", "organisation", "embargo_state", "embargo_end_at", "created_at",
              "closed_at")  # fmt: skip
    list_display = fields
    list_filter = ("embargo_state",)
    search_fields = ("identifier",)
    list_select_related = ("organisation",)


@admin.register(Participant)
class ParticipantAdmin(ContentFreeAdmin):
    fields = ("id", "case", "role", "rm_state", "user", "invited_at", "accepted_at")
    list_display = fields
    list_filter = ("role", "rm_state")
    search_fields = ("case__identifier",)
    list_select_related = ("case", "user")


@admin.register(ReportMessage)
class ReportMessageAdmin(ContentFreeAdmin):
    fields = ("id", "report", "from_reporter", "created_at")
    list_display = fields
    list_select_related = ("report",)


@admin.register(CaseMessage)
class CaseMessageAdmin(ContentFreeAdmin):
    fields = ("id", "case", "author", "parent", "created_at")
    list_display = fields
    list_select_related = ("case",)


@admin.register(ReportAttachment)
class ReportAttachmentAdmin(ContentFreeAdmin):
    fields = ("id", "report", "content_type", "size", "sha256", "created_at")
    list_display = fields
    list_select_related = ("report",)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        return super().get_queryset(request).defer("content")


@admin.register(CaseAttachment)
class CaseAttachmentAdmin(ContentFreeAdmin):
    fields = ("id", "case", "content_type", "size", "sha256", "created_at")
    list_display = fields
    list_select_related = ("case",)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        return super().get_queryset(request).defer("content")


@admin.register(CaseVulnerability)
class CaseVulnerabilityAdmin(ContentFreeAdmin):
    fields = ("id", "case", "created_at")
    list_display = fields
    list_select_related = ("case",)


@admin.register(VendorStatus)
class VendorStatusAdmin(ContentFreeAdmin):
    fields = ("id", "vulnerability", "vendor", "updated_at", "approved_at")
    list_display = fields


@admin.register(CaseRelease)
class CaseReleaseAdmin(ContentFreeAdmin):
    # not the release: which product an embargoed case affects is need-to-know too
    fields = ("id", "case", "added_at")
    list_display = fields
    list_select_related = ("case",)


@admin.register(CaseNotice)
class CaseNoticeAdmin(ContentFreeAdmin):
    # not the target, subject or body: who is told about which case is need-to-know too
    fields = ("id", "case", "kind", "channel", "status", "attempts", "created_at", "sent_at")
    list_display = fields
    list_filter = ("status", "kind", "channel")
    list_select_related = ("case",)
