"""Users, roles and teams."""

from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "Users and teams"

    def ready(self):
        from django.db.models.signals import post_migrate, post_save

        from . import services
        from .models import User

        post_migrate.connect(services.role_groups_sync, sender=self)
        post_save.connect(services.user_role_group_sync, sender=User)
