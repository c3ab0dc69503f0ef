from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "jiceng.portal"
    label = "portal"
