from django.apps import AppConfig


class AdvisoriesConfig(AppConfig):
    name = "vulndesk.server.advisories"
    label = "advisories"
    verbose_name = "Advisories"
