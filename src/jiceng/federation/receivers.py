"""Loads the message handlers of every role and the events hook (county feedback)."""

from jiceng.federation import county, department, routing, sync

__all__ = ["county", "department", "routing", "sync"]
