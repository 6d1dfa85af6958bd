"""The collections domain: debtors, accounts, the ledger, promises, arrangements, activities."""

from django.apps import AppConfig


class CollectionsAppConfig(AppConfig):
    name = "collections_app"
    verbose_name = "Collections"

    def ready(self):
        from django.db.models.signals import post_migrate

        from config.schedules import periodic_tasks_ensure

        post_migrate.connect(periodic_tasks_ensure, sender=self)
