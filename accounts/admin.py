"""Django admin for users, teams and API tokens."""

from django import forms
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from collections_app.errors import DomainError

from .api.services import api_token_create, api_token_revoke, rate_limit_validate
from .models import ROLE_RANK, ApiToken, Role, Team, User


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


class ApiTokenAddForm(forms.ModelForm):
    class Meta:
        model = ApiToken
        fields = ("name", "owner", "role", "rate_limit")

    def clean(self):
        data = super().clean()
        owner, role = data.get("owner"), data.get("role")
        if owner is not None and role and ROLE_RANK[role] > ROLE_RANK[Role.ADMIN if owner.is_superuser else owner.role]:
            self.add_error(
                "role", f"A token cannot have more access than its owner ({owner.username} is a {owner.role})."
            )
        try:
            data["rate_limit"] = rate_limit_validate(data.get("rate_limit", ""))
        except DomainError as exc:
            self.add_error("rate_limit", exc.message)
        return data


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    """Tokens are created through the service (audited, key shown once) and revoked, never edited or deleted."""

    list_display = ("name", "prefix", "owner", "role", "rate_limit", "created_at", "last_used_at", "revoked_at")
    list_filter = ("role", ("revoked_at", admin.EmptyFieldListFilter))
    search_fields = ("name", "prefix", "owner__username")
    readonly_fields = (
        "name",
        "prefix",
        "owner",
        "role",
        "rate_limit",
        "created_by",
        "created_at",
        "last_used_at",
        "revoked_at",
        "revoked_by",
    )
    actions = ["revoke"]

    def get_form(self, request, obj=None, **kwargs):
        if obj is None:
            kwargs["form"] = ApiTokenAddForm
        return super().get_form(request, obj, **kwargs)

    def get_readonly_fields(self, request, obj=None):
        return self.readonly_fields if obj is not None else ()

    def get_fields(self, request, obj=None):
        return ApiTokenAddForm.Meta.fields if obj is None else self.readonly_fields

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        if change:
            return
        token, key = api_token_create(
            name=obj.name, owner=obj.owner, role=obj.role, rate_limit=obj.rate_limit, created_by=request.user
        )
        obj.pk, obj.key_hash, obj.prefix, obj.created_at = token.pk, token.key_hash, token.prefix, token.created_at
        obj._state.adding = False
        messages.warning(
            request,
            f"The key of “{token.name}” is {key} — copy it now: it is shown this once and cannot be read again.",
        )

    @admin.action(description="Revoke the selected tokens")
    def revoke(self, request, queryset):
        revoked = 0
        for token in queryset.filter(revoked_at__isnull=True):
            api_token_revoke(token=token, revoked_by=request.user)
            revoked += 1
        messages.success(request, f"{revoked} token(s) revoked.")
