"""Django admin for findings: shown, never changed here (matching writes them)."""

from __future__ import annotations

from django.contrib import admin

from vulndesk.server.accounts.admin import ReadOnlyModelAdmin
from vulndesk.server.findings.models import Finding, GroupEpss, PortfolioSnapshot


@admin.register(Finding)
class FindingAdmin(ReadOnlyModelAdmin):
    list_display = ("vulnerability_id", "severity", "component_name", "component_version",
                    "release", "status", "kev", "first_seen", "notified_at")  # fmt: skip
    list_filter = ("status", "severity", "kev")
    search_fields = ("vulnerability_id", "component_name")
    list_select_related = ("release__product",)
    raw_id_fields = ("product", "release", "component", "identity")
    ordering = ("-id",)
    # a million rows: no COUNT(*) of the whole table on each page
    show_full_result_count = False


@admin.register(PortfolioSnapshot)
class PortfolioSnapshotAdmin(ReadOnlyModelAdmin):
    list_display = ("taken_at", "counts", "releases_affected", "kev")


@admin.register(GroupEpss)
class GroupEpssAdmin(ReadOnlyModelAdmin):
    list_display = ("vulnerability_id", "epss")
    search_fields = ("vulnerability_id",)
    ordering = ("-epss",)
    show_full_result_count = False
