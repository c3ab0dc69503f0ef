from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "jiceng.audit"
    label = "audit"
