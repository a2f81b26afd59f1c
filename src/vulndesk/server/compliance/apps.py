from django.apps import AppConfig


class ComplianceConfig(AppConfig):
    name = "vulndesk.server.compliance"
    label = "compliance"
    verbose_name = "Compliance"
