"""Writing audit rows (call inside the transaction of the change being audited)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AbstractBaseUser

from vulndesk.server.audit.models import AuditEvent


def audit_record(
    *,
    action: str,
    object_type: str,
    object_id: str = "",
    data: dict[str, Any] | None = None,
    acting_user: AbstractBaseUser | None = None,
    actor_label: str = "",
) -> AuditEvent:
    """Create and return the audit row for one state change."""
    return AuditEvent.objects.create(
        actor=acting_user if acting_user is not None and acting_user.is_authenticated else None,
        actor_label=actor_label or (acting_user.get_username() if acting_user else "system"),
        action=action,
        object_type=object_type,
        object_id=object_id,
        data=data or {},
    )
