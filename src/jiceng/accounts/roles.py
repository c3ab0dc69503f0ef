from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    RESIDENT = "resident", _("Resident")
    GRID_WORKER = "grid_worker", _("Grid worker")
    VILLAGE_CADRE = "village_cadre", _("Village cadre")
    DISPATCHER = "dispatcher", _("Dispatcher")
    HANDLER = "handler", _("Handler")
    COUNTY_CENTER = "county_center", _("County command center")
    SAFETY_OFFICER = "safety_officer", _("Public-safety officer")  # 综治、司法、公安干部
    LEADER = "leader", _("Leader")
    ADMIN = "admin", _("Administrator")
    HUB_OPERATOR = "hub_operator", _("Collaboration platform operator")


STAFF_ROLES = frozenset(Role) - {Role.RESIDENT}
