from django.apps import AppConfig


class FindingsConfig(AppConfig):
    name = "vulndesk.server.findings"
    label = "findings"
    verbose_name = "Findings"
