"""Django admin for the inventory: products and releases are edited (audited), what analysis
derives from SBOMs is only shown."""

from __future__ import annotations

from django.contrib import admin

from vulndesk.server.accounts.admin import AuditedModelAdmin, ReadOnlyModelAdmin
from vulndesk.server.inventory.models import (
    Component,
    ComponentIdentity,
    IdentityLookup,
    Product,
    ProductGrant,
    Release,
    SbomDocument,
    Tag,
)


class ProductGrantInline(admin.TabularInline):  # type: ignore[type-arg]
    model = ProductGrant
    extra = 0
    autocomplete_fields = ("team",)


@admin.register(Product)
class ProductAdmin(AuditedModelAdmin):
    list_display = ("name", "organisation", "owner", "exposure", "eu_market", "created_at")
    list_filter = ("organisation", "exposure", "eu_market", "tags")
    search_fields = ("name", "description")
    list_select_related = ("organisation", "owner")
    autocomplete_fields = ("parent", "owner")
    filter_horizontal = ("tags",)
    inlines = (ProductGrantInline,)


@admin.register(Tag)
class TagAdmin(AuditedModelAdmin):
    list_display = ("name", "organisation")
    list_filter = ("organisation",)
    search_fields = ("name",)


@admin.register(Release)
class ReleaseAdmin(AuditedModelAdmin):
    list_display = ("product", "version", "component_count", "analysed_at", "created_at")
    search_fields = ("product__name", "version")
    list_select_related = ("product",)
    readonly_fields = ("component_count", "analysed_at")
    autocomplete_fields = ("product",)


@admin.register(SbomDocument)
class SbomDocumentAdmin(ReadOnlyModelAdmin):
    list_display = ("file_name", "release", "status", "format", "component_count", "size",
                    "uploaded_by", "uploaded_at")  # fmt: skip
    list_filter = ("status",)
    search_fields = ("file_name", "sha256")
    list_select_related = ("release__product", "uploaded_by")
    exclude = ("content",)  # the SBOM itself: megabytes of bytes


class IdentityLookupInline(admin.TabularInline):  # type: ignore[type-arg]
    model = IdentityLookup
    extra = 0
    fields = ("ecosystem", "name")
    readonly_fields = ("ecosystem", "name")
    can_delete = False


@admin.register(ComponentIdentity)
class ComponentIdentityAdmin(ReadOnlyModelAdmin):
    inlines = (IdentityLookupInline,)
    list_display = ("key", "name", "version", "evaluable")
    list_filter = ("evaluable",)
    search_fields = ("key", "name")
    show_full_result_count = False


@admin.register(Component)
class ComponentAdmin(ReadOnlyModelAdmin):
    list_display = ("name", "version", "release", "purl", "direct", "active")
    list_filter = ("active", "direct")
    search_fields = ("name", "purl")
    list_select_related = ("release__product",)
    raw_id_fields = ("release", "sbom", "identity")
    show_full_result_count = False
