"""Django admin for configuration and support. Ledger entries and allocations are read-only."""

from django.contrib import admin

from .models import (
    Account,
    Activity,
    Address,
    Allocation,
    Arrangement,
    Assignment,
    ContactPoint,
    Creditor,
    Debtor,
    Dispute,
    ImportJob,
    Instalment,
    Invoice,
    LedgerEntry,
    Promise,
)


class ReadOnlyAdmin(admin.ModelAdmin):
    """Money and history are changed through the services (reversals), never edited here."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ContactPointInline(admin.TabularInline):
    model = ContactPoint
    extra = 0


class AddressInline(admin.TabularInline):
    model = Address
    extra = 0


@admin.register(Creditor)
class CreditorAdmin(admin.ModelAdmin):
    list_display = ("name", "created_at")
    search_fields = ("name",)


@admin.register(Debtor)
class DebtorAdmin(admin.ModelAdmin):
    list_display = ("external_id", "name", "kind", "timezone", "region")
    search_fields = ("external_id", "name")
    list_filter = ("kind", "region")
    inlines = [ContactPointInline, AddressInline]


@admin.register(Account)
class AccountAdmin(admin.ModelAdmin):
    list_display = ("external_id", "debtor", "creditor", "currency", "status", "balance", "assigned_to")
    list_filter = ("status", "currency", "creditor")
    search_fields = ("external_id", "debtor__name", "debtor__external_id")
    raw_id_fields = ("debtor", "assigned_to")
    readonly_fields = ("balance", "unapplied_credit", "oldest_open_due_on", "assigned_to", "changed_at")


@admin.register(Invoice)
class InvoiceAdmin(ReadOnlyAdmin):
    list_display = ("external_id", "account", "issued_on", "due_on", "amount", "open_amount")
    search_fields = ("external_id", "account__external_id")
    raw_id_fields = ("account",)


@admin.register(LedgerEntry)
class LedgerEntryAdmin(ReadOnlyAdmin):
    list_display = ("posted_on", "account", "kind", "amount", "external_id", "method")
    list_filter = ("kind",)
    search_fields = ("external_id", "account__external_id")


@admin.register(Allocation)
class AllocationAdmin(ReadOnlyAdmin):
    list_display = ("entry", "invoice", "amount", "applied_on")


@admin.register(Assignment)
class AssignmentAdmin(ReadOnlyAdmin):
    list_display = ("account", "collector", "started_at", "ended_at", "reason")


@admin.register(Promise)
class PromiseAdmin(ReadOnlyAdmin):
    list_display = ("account", "amount", "due_on", "status", "created_by")
    list_filter = ("status",)


class InstalmentInline(admin.TabularInline):
    model = Instalment
    extra = 0
    can_delete = False

    def has_change_permission(self, request, obj=None):
        return False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Arrangement)
class ArrangementAdmin(ReadOnlyAdmin):
    list_display = ("account", "total_amount", "frequency", "start_on", "status")
    list_filter = ("status", "frequency")
    inlines = [InstalmentInline]


@admin.register(Activity)
class ActivityAdmin(ReadOnlyAdmin):
    list_display = ("occurred_at", "account", "channel", "outcome", "user", "automated")
    list_filter = ("channel", "outcome", "automated")


@admin.register(Dispute)
class DisputeAdmin(ReadOnlyAdmin):
    list_display = ("account", "opened_at", "resolved_at", "outcome")


@admin.register(ImportJob)
class ImportJobAdmin(ReadOnlyAdmin):
    list_display = ("original_name", "status", "progress", "created_by", "created_at")


# --- dunning: configured in its own pages (/dunning/); here for support, reminders read-only ---------
from .models import DunningPolicy, DunningReminder, DunningRun, DunningStage, DunningTemplate  # noqa: E402


class DunningStageInline(admin.TabularInline):
    model = DunningStage
    extra = 0


@admin.register(DunningPolicy)
class DunningPolicyAdmin(admin.ModelAdmin):
    list_display = ("name", "priority", "active", "creditor", "segment", "currency")
    list_filter = ("active",)
    inlines = [DunningStageInline]


@admin.register(DunningTemplate)
class DunningTemplateAdmin(admin.ModelAdmin):
    list_display = ("name", "channel", "language", "time_barred", "updated_at")
    list_filter = ("channel", "language", "time_barred")


@admin.register(DunningRun)
class DunningRunAdmin(ReadOnlyAdmin):
    list_display = ("run_on", "dry_run", "status", "selected", "created_at", "finished_at")
    list_filter = ("dry_run", "status")


@admin.register(DunningReminder)
class DunningReminderAdmin(ReadOnlyAdmin):
    list_display = ("pk", "account", "policy", "stage", "cycle", "channel", "state", "send_after", "done_at")
    list_filter = ("state", "channel", "policy")
    search_fields = ("account__external_id",)
    raw_id_fields = ("account", "activity", "run")
