"""Django admin for compliance: read-only; every change goes through ``compliance.services``
and ``compliance.nis2`` (audited, clocks kept in step)."""

from __future__ import annotations

from django.contrib import admin

from vulndesk.server.accounts.admin import ReadOnlyModelAdmin
from vulndesk.server.compliance.models import (
    ComplianceNotice,
    CraEvent,
    Nis2Record,
    RegulatoryReport,
)


@admin.register(CraEvent)
class CraEventAdmin(ReadOnlyModelAdmin):
    list_display = ("id", "product", "vulnerability_id", "regime", "trigger", "state", "aware_at")
    list_filter = ("state", "regime", "trigger")
    search_fields = ("vulnerability_id", "product__name")
    list_select_related = ("product",)


@admin.register(Nis2Record)
class Nis2RecordAdmin(ReadOnlyModelAdmin):
    list_display = ("id", "organisation", "kind", "entity_type", "significant", "aware_at")
    list_filter = ("kind", "entity_type", "significant")
    list_select_related = ("organisation",)


@admin.register(RegulatoryReport)
class RegulatoryReportAdmin(ReadOnlyModelAdmin):
    list_display = ("id", "event", "record", "kind", "due_at", "submitted_at")
    list_filter = ("kind",)
    list_select_related = ("event", "record")


@admin.register(ComplianceNotice)
class ComplianceNoticeAdmin(ReadOnlyModelAdmin):
    list_display = ("id", "report", "kind", "channel", "status", "attempts", "created_at")
    list_filter = ("kind", "channel", "status")
