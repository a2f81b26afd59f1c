from django.apps import AppConfig


class JobsConfig(AppConfig):
    name = "vulndesk.server.jobs"
    label = "jobs"
    verbose_name = "Jobs"
