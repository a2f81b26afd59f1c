from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "vulndesk.server.accounts"
    label = "accounts"
    verbose_name = "Accounts"

    def ready(self) -> None:
        # connects the failed-login counter of accounts.lockout
        from vulndesk.server.accounts import signals  # noqa: F401
