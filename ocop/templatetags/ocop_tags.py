"""The OCOP section of the unit pages, as one include: `{% ocop_section unit period %}` (one query)."""

from django import template
from django.utils import timezone

from communes.models import Level

from ..selectors import ocop_summary

register = template.Library()


@register.inclusion_tag("ocop/_section.html", takes_context=True)
def ocop_section(context, unit, period=None):
    """Counted on the last day of the period the page shows (today without one), so the OCOP figures stand beside
    the attainment of the same period."""
    on = period.end if period is not None else timezone.localdate()
    summary = ocop_summary(unit=unit, on=on)
    return {
        "summary": summary,
        "unit": unit,
        "is_province": unit.level == Level.PROVINCE,
        "figures": summary.figures() if summary.products else None,
        "request": context.get("request"),
    }
