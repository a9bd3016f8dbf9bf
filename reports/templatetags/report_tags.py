from django import template

register = template.Library()


@register.filter
def get_item(mapping, key):
    """{{ row.cells|get_item:rule_set.pk }}: a dict lookup by a variable key."""
    if not mapping:
        return None
    return mapping.get(key)


@register.filter
def subtract(value, other):
    """{{ now|subtract:before }} for a change; None when either side is missing."""
    if value is None or other is None:
        return None
    return value - other
