"""Users, roles and teams."""

from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "Users and teams"

    def ready(self):
        # After the last of our apps has migrated, so every app's permissions exist by then.
        from django.apps import apps
        from django.db.models.signals import post_migrate, post_save

        from . import services
        from .models import User

        post_migrate.connect(services.role_groups_sync, sender=apps.get_app_config("kpis"))
        post_save.connect(services.user_role_group_sync, sender=User)
