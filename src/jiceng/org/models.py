from __future__ import annotations

import re
from typing import ClassVar

from django.db import models
from django.utils.translation import gettext_lazy as _

from jiceng.core.scope import ScopedQuerySet


class RegionLevel(models.TextChoices):
    PROVINCE = "province", _("Province")
    CITY = "city", _("City")
    COUNTY = "county", _("County")
    TOWNSHIP = "township", _("Township")
    VILLAGE = "village", _("Village")
    GRID = "grid", _("Grid")
    MICROGRID = "microgrid", _("Micro-grid")


LEVEL_ORDER = list(RegionLevel.values)
PARENT_LEVEL = {
    RegionLevel.CITY: RegionLevel.PROVINCE,
    RegionLevel.COUNTY: RegionLevel.CITY,
    RegionLevel.TOWNSHIP: RegionLevel.COUNTY,
    RegionLevel.VILLAGE: RegionLevel.TOWNSHIP,
    RegionLevel.GRID: RegionLevel.VILLAGE,
    RegionLevel.MICROGRID: RegionLevel.GRID,
}
CODE_LENGTH = {
    RegionLevel.PROVINCE: 6,
    RegionLevel.CITY: 6,
    RegionLevel.COUNTY: 6,
    RegionLevel.TOWNSHIP: 12,
    RegionLevel.VILLAGE: 12,
    RegionLevel.GRID: 15,
    RegionLevel.MICROGRID: 18,
}
# How many leading characters of a code every region below it shares (GB/T 2260 and the statistical code).
SCOPE_PREFIX_LENGTH = {
    RegionLevel.PROVINCE: 2,
    RegionLevel.CITY: 4,
    RegionLevel.COUNTY: 6,
    RegionLevel.TOWNSHIP: 9,
    RegionLevel.VILLAGE: 12,
    RegionLevel.GRID: 15,
    RegionLevel.MICROGRID: 18,
}
_DIGITS = re.compile(r"^\d+$")


def scope_prefix(code: str, level: str) -> str:
    return code[: SCOPE_PREFIX_LENGTH[RegionLevel(level)]]


class Region(models.Model):
    """A node of the region tree: county → township → village → grid → micro-grid."""

    code = models.CharField(_("code"), max_length=18, unique=True)
    name = models.CharField(_("name"), max_length=100)
    level = models.CharField(_("level"), max_length=12, choices=RegionLevel.choices)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent region"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    boundary = models.JSONField(_("boundary"), null=True, blank=True, help_text=_("GeoJSON geometry, WGS-84"))
    center_lng = models.FloatField(_("center longitude"), null=True, blank=True)
    center_lat = models.FloatField(_("center latitude"), null=True, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    scope_field: ClassVar[str] = "code"
    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("region")
        verbose_name_plural = _("regions")
        ordering = ["code"]
        indexes = [models.Index(fields=["level", "code"])]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"

    @property
    def scope_prefix(self) -> str:
        return scope_prefix(self.code, self.level)


class UnitKind(models.TextChoices):
    COUNTY_COMMAND_CENTER = "county_command_center", _("County command center")
    COUNTY_DEPARTMENT = "county_department", _("County department")
    TOWNSHIP_GOVERNMENT = "township_government", _("Township government")
    TOWNSHIP_COMMAND_ROOM = "township_command_room", _("Township command room")
    TOWNSHIP_STATION = "township_station", _("Township station")
    DISPATCHED_AGENCY = "dispatched_agency", _("Dispatched agency")
    VILLAGE_COMMITTEE = "village_committee", _("Village committee")
    HUB_CENTER = "hub_center", _("Collaboration platform center")
    OTHER = "other", _("Other")


class Unit(models.Model):
    """An organization unit (单位); its region decides the jurisdiction of its users."""

    code = models.CharField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=32, choices=UnitKind.choices)
    region = models.ForeignKey(
        Region, verbose_name=_("region"), on_delete=models.PROTECT, related_name="units"
    )
    credit_code = models.CharField(_("unified social credit code"), max_length=18, blank=True)
    phone = models.CharField(_("office phone"), max_length=32, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    scope_field: ClassVar[str] = "region__code"
    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("unit")
        verbose_name_plural = _("units")
        ordering = ["region__code", "code"]

    def __str__(self) -> str:
        return self.name
