"""The collections domain's tables, one module per part of the domain."""

from .accounts import Account, AccountStatus, Assignment, AssignmentReason
from .activity import Activity, Channel, Direction, Dispute, DisputeOutcome, Outcome
from .dunning import (
    DunningChannel,
    DunningPolicy,
    DunningReminder,
    DunningRun,
    DunningStage,
    DunningTemplate,
    ReminderState,
    TriggerKind,
)
from .imports import ImportJob
from .ledger import Allocation, EntryKind, Invoice, LedgerEntry, PaymentMethod
from .parties import Address, ContactKind, ContactPoint, ContactUsage, Creditor, Debtor, DebtorKind
from .plans import Arrangement, Frequency, Instalment, PlanStatus, Promise, PromiseStatus
from .queue import QueueStrategy

__all__ = [
    "Account",
    "AccountStatus",
    "Activity",
    "Address",
    "Allocation",
    "Arrangement",
    "Assignment",
    "AssignmentReason",
    "Channel",
    "ContactKind",
    "ContactPoint",
    "ContactUsage",
    "Creditor",
    "Debtor",
    "DebtorKind",
    "Direction",
    "Dispute",
    "DisputeOutcome",
    "DunningChannel",
    "DunningPolicy",
    "DunningReminder",
    "DunningRun",
    "DunningStage",
    "DunningTemplate",
    "EntryKind",
    "Frequency",
    "ImportJob",
    "Instalment",
    "Invoice",
    "LedgerEntry",
    "Outcome",
    "PaymentMethod",
    "PlanStatus",
    "Promise",
    "PromiseStatus",
    "QueueStrategy",
    "ReminderState",
    "TriggerKind",
]
