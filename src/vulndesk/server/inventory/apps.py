from django.apps import AppConfig


class InventoryConfig(AppConfig):
    name = "vulndesk.server.inventory"
    label = "inventory"
    verbose_name = "Inventory"
