"""Jiceng (基层): an open platform for grassroots governance."""

__version__ = "0.1.0"
