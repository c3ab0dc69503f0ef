from django.apps import AppConfig


class EventsConfig(AppConfig):
    name = "jiceng.events"
    label = "events"
