from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "jiceng.notifications"
    label = "notifications"
