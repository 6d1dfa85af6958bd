"""Django admin for compliance: the policy tables (every save audited), holds, and the read-only audit log."""

from django.contrib import admin, messages
from django.db import transaction

from .models import AccountCompliance, AuditEvent, ContactPolicy, Hold, StateRule, StatuteOfLimitations
from .services import config_delete, config_save, hold_place, hold_release, validation_notice_record


class AuditedConfigAdmin(admin.ModelAdmin):
    """Saves and deletes go through the services, so each leaves a before/after audit event."""

    def save_model(self, request, obj, form, change):
        config_save(obj=obj, user=request.user)

    def delete_model(self, request, obj):
        config_delete(obj=obj, user=request.user)

    def delete_queryset(self, request, queryset):
        for obj in queryset:
            config_delete(obj=obj, user=request.user)


@admin.register(ContactPolicy)
class ContactPolicyAdmin(AuditedConfigAdmin):
    list_display = (
        "__str__",
        "call_window_start",
        "call_window_end",
        "weekly_call_cap",
        "days_after_conversation",
        "promise_grace_days",
        "updated_at",
    )
    fieldsets = (
        ("Calling hours (debtor's local time)", {"fields": ("call_window_start", "call_window_end")}),
        ("Call frequency, per debt", {"fields": ("weekly_call_cap", "cap_period_days", "days_after_conversation")}),
        ("Validation notice", {"fields": ("receipt_business_days", "validation_period_days")}),
        ("Promises", {"fields": ("promise_grace_days",)}),
    )

    def has_add_permission(self, request):
        return not ContactPolicy.objects.exists() and super().has_add_permission(request)

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(StateRule)
class StateRuleAdmin(AuditedConfigAdmin):
    list_display = (
        "region",
        "name",
        "active",
        "personal_cap",
        "personal_cap_days",
        "other_cap",
        "other_cap_days",
        "weekly_call_cap",
        "call_window_start",
        "call_window_end",
    )
    list_filter = ("active",)
    search_fields = ("region", "name")


@admin.register(StatuteOfLimitations)
class StatuteOfLimitationsAdmin(AuditedConfigAdmin):
    list_display = ("region", "years", "note")
    search_fields = ("region",)


@admin.register(Hold)
class HoldAdmin(admin.ModelAdmin):
    list_display = ("id", "reason", "account", "debtor", "channel", "starts_at", "ends_at", "released_at", "placed_by")
    list_filter = ("reason", "channel")
    search_fields = ("account__external_id", "debtor__external_id", "note")
    raw_id_fields = ("account", "debtor")
    fields = ("reason", "account", "debtor", "channel", "starts_at", "ends_at", "note")
    actions = ["release"]

    def get_readonly_fields(self, request, obj=None):
        # A placed hold is a record: it can be released, not rewritten.
        return self.fields if obj is not None else ()

    def save_model(self, request, obj, form, change):
        if change:
            return
        placed = hold_place(
            reason=obj.reason,
            account=obj.account,
            debtor=obj.debtor,
            user=request.user,
            starts_at=obj.starts_at,
            ends_at=obj.ends_at,
            channel=obj.channel,
            note=obj.note,
        )
        obj.pk = placed.pk

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.action(description="Release the selected holds")
    def release(self, request, queryset):
        released = 0
        for hold in queryset.filter(released_at__isnull=True):
            hold_release(hold=hold, user=request.user, note="Released in the admin")
            released += 1
        self.message_user(request, f"{released} hold(s) released.", messages.SUCCESS)


@admin.register(AccountCompliance)
class AccountComplianceAdmin(admin.ModelAdmin):
    list_display = (
        "account",
        "first_communication_at",
        "validation_notice_sent_on",
        "validation_period_ends_on",
        "statute_of_limitations_on",
    )
    search_fields = ("account__external_id",)
    raw_id_fields = ("account",)
    readonly_fields = ("validation_notice_received_on", "validation_period_ends_on")

    @transaction.atomic
    def save_model(self, request, obj, form, change):
        if obj.validation_notice_sent_on:
            # The service derives receipt and period end from the policy, and audits the notice.
            profile = validation_notice_record(
                account=obj.account, sent_on=obj.validation_notice_sent_on, user=request.user
            )
            obj.validation_notice_received_on = profile.validation_notice_received_on
            obj.validation_period_ends_on = profile.validation_period_ends_on
            obj._state.adding = False  # the service created the row if it was new: what follows updates it
        config_save(obj=obj, user=request.user)

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    list_display = ("at", "action", "actor", "object_type", "object_id", "account_id")
    list_filter = ("action",)
    search_fields = ("object_id", "detail")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
