"""Django admin for users and teams."""

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from .models import Team, User


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    list_display = ("username", "first_name", "last_name", "role", "team", "is_active", "last_login")
    list_filter = ("role", "team", "is_active")
    fieldsets = BaseUserAdmin.fieldsets + (
        ("Collections", {"fields": ("role", "team", "daily_call_limit", "daily_target")}),
    )
    add_fieldsets = BaseUserAdmin.add_fieldsets + (
        ("Collections", {"fields": ("role", "team", "first_name", "last_name", "email")}),
    )


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    list_display = ("name", "created_at")
    filter_horizontal = ("managers",)
    search_fields = ("name",)
