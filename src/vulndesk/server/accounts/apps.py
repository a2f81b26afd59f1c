from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "vulndesk.server.accounts"
    label = "accounts"
    verbose_name = "Accounts"
