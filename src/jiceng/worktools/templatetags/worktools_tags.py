"""The visits panel on the registry's 360° pages (one include there: ``{% visits_panel obj kind key %}``)."""

from __future__ import annotations

from typing import Any

from django import template

from jiceng.worktools import visit_queries
from jiceng.worktools.visit_actions import VISIT_SUBJECTS

register = template.Library()


@register.inclusion_tag("worktools/_visits_panel.html", takes_context=True)
def visits_panel(context: dict[str, Any], obj: Any, kind: str, key: str) -> dict[str, Any]:
    request = context.get("request")
    user = getattr(request, "user", None)
    shown = kind in VISIT_SUBJECTS
    return {
        "shown": shown,
        "visits": list(visit_queries.visits_of(user, obj)[:20]) if shown else [],
        "kind": kind,
        "key": key,
    }
