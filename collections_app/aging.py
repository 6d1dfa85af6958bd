"""Aging buckets (KPIS.md): days past due to bucket, and bucket to a due-date range for queries."""

import datetime

BUCKETS = ("current", "1-30", "31-60", "61-90", "91-120", "121+")
BUCKET_BOUNDS = {
    "current": (None, 0),
    "1-30": (1, 30),
    "31-60": (31, 60),
    "61-90": (61, 90),
    "91-120": (91, 120),
    "121+": (121, None),
}


def bucket_for_days(days_past_due: int) -> str:
    for name, (low, high) in BUCKET_BOUNDS.items():
        if (low is None or days_past_due >= low) and (high is None or days_past_due <= high):
            return name
    return "121+"


def bucket_css(bucket: str) -> str:
    return "bucket-121" if bucket == "121+" else f"bucket-{bucket}"


def due_date_range(bucket: str, on: datetime.date) -> dict:
    """Lookups on a due-date field that select the given bucket at `on` (for set-based filters)."""
    low, high = BUCKET_BOUNDS[bucket]
    lookups = {}
    if low is None:  # current: not yet past due
        lookups["gte"] = on
    else:
        lookups["lte"] = on - datetime.timedelta(days=low)
        if high is not None:
            lookups["gte"] = on - datetime.timedelta(days=high)
    return lookups
