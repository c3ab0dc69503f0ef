"""``{% live_socket conversation_id %}``: where a message page opens its socket ("" when live is off)."""

from __future__ import annotations

from django import template

from jiceng.worktools import live

register = template.Library()


@register.simple_tag
def live_socket(conversation_id: int | None = None) -> str:
    return live.socket_path(conversation_id)
