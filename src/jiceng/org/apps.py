from django.apps import AppConfig


class OrgConfig(AppConfig):
    name = "jiceng.org"
    label = "org"
