"""Django admin for notifications: endpoints and subscriptions are changed through the services
(so each change is audited), deliveries are the log and are only shown (and retried)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from vulndesk.server.accounts.admin import ReadOnlyModelAdmin
from vulndesk.server.notifications.models import (
    Delivery,
    DeliveryStatus,
    EmailSubscription,
    WebhookEndpoint,
)
from vulndesk.server.notifications.services import (
    ENDPOINT_FIELDS,
    delivery_retry,
    email_subscription_delete,
    email_subscription_set,
    webhook_endpoint_create,
    webhook_endpoint_delete,
    webhook_endpoint_update,
)


class WebhookEndpointForm(forms.ModelForm):  # type: ignore[type-arg]
    class Meta:
        model = WebhookEndpoint
        fields = ("organisation", "name", "url", "secret", "active", "min_severity")
        help_texts = {"secret": "left empty on a new endpoint: a random one is made"}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk is None:
            self.fields["secret"].required = False


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    form = WebhookEndpointForm
    list_display = ("name", "organisation", "url", "active", "min_severity", "created_at")
    list_filter = ("active", "organisation")
    search_fields = ("name", "url")
    list_select_related = ("organisation",)

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> tuple[str, ...]:
        return ("organisation",) if obj is not None else ()  # an endpoint stays where it is

    def save_model(
        self, request: HttpRequest, obj: WebhookEndpoint, form: Any, change: bool
    ) -> None:
        data = form.cleaned_data
        if not change:
            created = webhook_endpoint_create(
                organisation=data["organisation"],
                name=data["name"],
                url=data["url"],
                secret=data.get("secret") or None,
                active=data["active"],
                min_severity=data["min_severity"],
                acting_user=request.user,
            )
            obj.pk = created.pk
            obj.secret = created.secret
            return
        changes = {f: data[f] for f in form.changed_data if f in ENDPOINT_FIELDS}
        endpoint = WebhookEndpoint.objects.get(pk=obj.pk)
        if changes:
            webhook_endpoint_update(endpoint=endpoint, acting_user=request.user, **changes)

    def delete_model(self, request: HttpRequest, obj: WebhookEndpoint) -> None:
        webhook_endpoint_delete(endpoint=obj, acting_user=request.user)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[WebhookEndpoint]) -> None:
        for endpoint in queryset:
            webhook_endpoint_delete(endpoint=endpoint, acting_user=request.user)


@admin.register(EmailSubscription)
class EmailSubscriptionAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("user", "min_severity", "active", "created_at")
    list_filter = ("active", "min_severity")
    search_fields = ("user__username", "user__email")
    list_select_related = ("user",)
    autocomplete_fields = ("user",)

    def save_model(
        self, request: HttpRequest, obj: EmailSubscription, form: Any, change: bool
    ) -> None:
        data = form.cleaned_data
        user = data.get("user") or obj.user
        if change and "user" in form.changed_data:
            old = EmailSubscription.objects.get(pk=obj.pk).user
            email_subscription_delete(user=old, acting_user=request.user)
        saved = email_subscription_set(
            user=user,
            min_severity=data["min_severity"],
            active=data["active"],
            acting_user=request.user,
        )
        obj.pk = saved.pk

    def delete_model(self, request: HttpRequest, obj: EmailSubscription) -> None:
        email_subscription_delete(user=obj.user, acting_user=request.user)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[EmailSubscription]) -> None:
        for subscription in queryset.select_related("user"):
            email_subscription_delete(user=subscription.user, acting_user=request.user)


@admin.register(Delivery)
class DeliveryAdmin(ReadOnlyModelAdmin):
    list_display = ("created_at", "channel", "target", "status", "attempts", "http_status",
                    "finding_count", "next_attempt_at", "sent_at")  # fmt: skip
    list_filter = ("status", "channel")
    search_fields = ("target",)
    raw_id_fields = ("endpoint", "user")
    show_full_result_count = False
    actions = ("retry",)

    @admin.action(description="Send the selected failed deliveries again", permissions=["view"])
    def retry(self, request: HttpRequest, queryset: QuerySet[Delivery]) -> None:
        failed = list(queryset.filter(status=DeliveryStatus.FAILED))
        for delivery in failed:
            delivery_retry(delivery=delivery, acting_user=request.user)
        self.message_user(request, f"{len(failed)} deliveries queued again", messages.SUCCESS)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return bool(request.user.is_active and request.user.is_superuser)
