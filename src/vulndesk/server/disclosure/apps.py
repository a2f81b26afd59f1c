from django.apps import AppConfig


class DisclosureConfig(AppConfig):
    name = "vulndesk.server.disclosure"
    label = "disclosure"
    verbose_name = "Disclosure"
