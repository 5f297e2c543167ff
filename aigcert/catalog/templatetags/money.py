from django import template

from aigcert.catalog.rules import format_fen

register = template.Library()


@register.filter
def yuan(fen):
    """{{ fees.total_fen|yuan }} → "798"."""
    if fen is None or fen == "":
        return ""
    return format_fen(int(fen))
