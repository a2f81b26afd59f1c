from django.apps import AppConfig


class ProviderConfig(AppConfig):
    name = "vulndesk.server.provider"
    label = "provider"
    verbose_name = "CSAF provider"
