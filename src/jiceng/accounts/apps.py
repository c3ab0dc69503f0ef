from typing import Any

from django.apps import AppConfig
from django.db.models.signals import post_delete, post_save


def _forget_tokens(**_kwargs: Any) -> None:
    from django.db import transaction

    from jiceng.accounts import token_cache

    token_cache.reset()
    transaction.on_commit(token_cache.reset)


class AccountsConfig(AppConfig):
    name = "jiceng.accounts"
    label = "accounts"

    def ready(self) -> None:
        # A changed user, role or token is read again on its next API call (in this process at once).
        for model in ("User", "UserRole", "ApiToken"):
            sender = self.get_model(model)
            post_save.connect(_forget_tokens, sender=sender, dispatch_uid=f"token_cache.{model}.save")
            post_delete.connect(_forget_tokens, sender=sender, dispatch_uid=f"token_cache.{model}.delete")
