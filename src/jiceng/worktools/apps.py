from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WorktoolsConfig(AppConfig):
    name = "jiceng.worktools"
    label = "worktools"
    verbose_name = _("Work tools")
