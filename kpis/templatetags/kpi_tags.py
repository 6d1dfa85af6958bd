"""Template filters of the dashboards: figures with their units, changes with their direction."""

from django import template

from collections_app.templatetags.collections_tags import money

register = template.Library()


@register.filter
def figure(value, unit):
    """A KPI as shown on a card: money with thousands separators, days and percentages with units."""
    if value is None:
        return "—"
    if unit == "money":
        return money(value)
    if unit == "%":
        return f"{float(value):,.2f} %"
    return f"{float(value):,.2f} days"


@register.filter
def signed(value):
    if value is None:
        return "—"
    return f"{float(value):+,.2f}"


@register.filter
def heat(share):
    """A class for a roll-rate cell, heat-1 to heat-10: the deeper, the larger the share (0-100 %).

    A class rather than an inline style, so the Content Security Policy can forbid inline styles.
    """
    if not share:
        return ""
    return f"heat-{max(1, min(10, round(float(share) / 10)))}"


@register.filter
def get(mapping, key):
    return mapping.get(key) if mapping else None
