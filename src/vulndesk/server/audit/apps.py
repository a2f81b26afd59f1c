from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "vulndesk.server.audit"
    label = "audit"
    verbose_name = "Audit trail"
