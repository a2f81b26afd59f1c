"""Django admin for accounts, and the two kinds of ModelAdmin vulndesk's apps use.

- :class:`AuditedModelAdmin` (or :class:`AuditedAdminMixin` on another ModelAdmin) writes an
  audit row for every change the admin makes: it hooks the admin's own change log
  (``log_addition``, ``log_change``, ``log_deletions``), which every add, change, bulk edit,
  deletion and password change goes through, in the admin's transaction.
- :class:`ReadOnlyModelAdmin` only shows: findings, jobs, deliveries and other records that
  only vulndesk itself writes.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.db.models import Model, QuerySet
from django.http import HttpRequest

from vulndesk.server.accounts.lockout import login_is_locked, login_unlock
from vulndesk.server.accounts.models import ApiToken, LoginFailure, Organisation, Team, UserProfile
from vulndesk.server.audit.services import audit_record


class AuditedAdminMixin:
    """Writes an audit row for each change made in the admin (see the module)."""

    def _audit(self, request: HttpRequest, obj: Model, action: str, change: Any) -> None:
        audit_record(
            action=f"admin.{action}",
            object_type=obj._meta.label_lower,
            object_id=str(obj.pk),
            data={"object": str(obj)[:200], "change": change},
            acting_user=request.user,  # type: ignore[arg-type]
        )

    def log_addition(self, request: HttpRequest, obj: Model, message: Any) -> Any:
        self._audit(request, obj, "create", message)
        return super().log_addition(request, obj, message)  # type: ignore[misc]

    def log_change(self, request: HttpRequest, obj: Model, message: Any) -> Any:
        self._audit(request, obj, "update", message)
        return super().log_change(request, obj, message)  # type: ignore[misc]

    def log_deletions(self, request: HttpRequest, queryset: Iterable[Model]) -> Any:
        for obj in queryset:
            self._audit(request, obj, "delete", "")
        return super().log_deletions(request, queryset)  # type: ignore[misc]


class AuditedModelAdmin(AuditedAdminMixin, admin.ModelAdmin):  # type: ignore[type-arg]
    """A ModelAdmin whose changes are audited."""


class ReadOnlyModelAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    """A ModelAdmin that shows and never changes (records only vulndesk writes)."""

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Organisation)
class OrganisationAdmin(AuditedModelAdmin):
    list_display = ("name", "slug", "created_at")
    search_fields = ("name", "slug")
    prepopulated_fields = {"slug": ("name",)}


@admin.register(Team)
class TeamAdmin(AuditedModelAdmin):
    list_display = ("name", "organisation", "created_at")
    list_filter = ("organisation",)
    search_fields = ("name", "organisation__name")
    filter_horizontal = ("members",)
    list_select_related = ("organisation",)


class UserProfileInline(admin.StackedInline):  # type: ignore[type-arg]
    model = UserProfile
    can_delete = False
    verbose_name_plural = "preferences"


User = get_user_model()
if admin.site.is_registered(User):
    admin.site.unregister(User)


@admin.register(User)
class VulndeskUserAdmin(AuditedAdminMixin, UserAdmin):  # type: ignore[type-arg]
    """Django's user admin with vulndesk's preferences, its changes audited."""

    inlines = (UserProfileInline,)


@admin.register(ApiToken)
class ApiTokenAdmin(ReadOnlyModelAdmin):
    list_display = ("name", "user", "prefix", "created_at", "last_used_at", "expires_at",
                    "revoked_at")  # fmt: skip
    list_filter = ("revoked_at",)
    search_fields = ("name", "prefix", "user__username")
    list_select_related = ("user",)
    exclude = ("digest",)


@admin.register(LoginFailure)
class LoginFailureAdmin(ReadOnlyModelAdmin):
    list_display = ("username", "failures", "last_failure_at", "locked_until", "locked")
    search_fields = ("username",)
    ordering = ("-last_failure_at",)
    actions = ("unlock",)

    @admin.display(boolean=True, description="locked now")
    def locked(self, obj: LoginFailure) -> bool:
        return login_is_locked(obj.username)

    @admin.action(description="Unlock the selected user names", permissions=["view"])
    def unlock(self, request: HttpRequest, queryset: QuerySet[LoginFailure]) -> None:
        names = list(queryset.values_list("username", flat=True))
        for username in names:
            login_unlock(username=username, acting_user=request.user)
        self.message_user(request, f"unlocked {len(names)} user names", messages.SUCCESS)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return bool(request.user.is_active and request.user.is_superuser)
