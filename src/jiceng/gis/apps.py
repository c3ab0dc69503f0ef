from django.apps import AppConfig


class GisConfig(AppConfig):
    name = "jiceng.gis"
    label = "gis"
