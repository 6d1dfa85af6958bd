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
    """A background for a roll-rate cell: the deeper, the larger the share (0-100 %)."""
    if not share:
        return ""
    alpha = 0.08 + 0.6 * min(float(share), 100) / 100
    return f"background: rgba(31, 78, 121, {alpha:.2f});" + (" color: #fff;" if alpha > 0.4 else "")


@register.filter
def get(mapping, key):
    return mapping.get(key) if mapping else None
