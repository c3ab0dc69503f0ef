from django.apps import AppConfig


class FederationConfig(AppConfig):
    name = "jiceng.federation"
    label = "federation"

    def ready(self) -> None:
        from jiceng.federation import receivers  # noqa: F401  (connects the events hook)
