from django.apps import AppConfig


class FeedsConfig(AppConfig):
    name = "vulndesk.server.feeds"
    label = "feeds"
    verbose_name = "Feeds"
