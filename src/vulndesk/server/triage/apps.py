from django.apps import AppConfig


class TriageConfig(AppConfig):
    name = "vulndesk.server.triage"
    label = "triage"
    verbose_name = "Triage"
