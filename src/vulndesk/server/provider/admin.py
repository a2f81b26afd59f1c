"""Django admin for the CSAF provider: read-only (settings change through the provider's own
settings page and API, documents only through ``csaf_publish``, so each change is validated and
audited there)."""

from __future__ import annotations

from django.contrib import admin

from vulndesk.server.accounts.admin import ReadOnlyModelAdmin
from vulndesk.server.provider.models import ProviderSettings, PublishedDocument


@admin.register(ProviderSettings)
class ProviderSettingsAdmin(ReadOnlyModelAdmin):
    list_display = ("publisher_name", "organisation", "site_provider", "signing_fingerprint",
                    "updated_at")  # fmt: skip
    list_select_related = ("organisation",)
    exclude = ("public_key",)


@admin.register(PublishedDocument)
class PublishedDocumentAdmin(ReadOnlyModelAdmin):
    list_display = ("tracking_id", "version", "tlp", "organisation", "current_release_date",
                    "published_at", "withdrawn")  # fmt: skip
    list_filter = ("tlp", "withdrawn", "organisation")
    search_fields = ("tracking_id", "title")
    list_select_related = ("organisation",)
    exclude = ("content", "signature")
