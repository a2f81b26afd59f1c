from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "vulndesk.server.notifications"
    label = "notifications"
    verbose_name = "Notifications"
