from django.apps import AppConfig


class AnalyticsConfig(AppConfig):
    name = "jiceng.analytics"
    label = "analytics"
