from django import template

from jiceng.portal.text import mask_personal_data

register = template.Library()


@register.filter
def masked(value: object) -> str:
    """Text shown to other residents: ID numbers and phone numbers masked."""
    return mask_personal_data(str(value or ""))
