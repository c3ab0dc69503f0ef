"""Load the demo county into an empty database, and write the demo accounts file."""

from __future__ import annotations

import json
import os
import random
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.contrib.auth.hashers import get_hasher
from django.db import transaction
from django.utils import timezone
from django.utils.module_loading import autodiscover_modules

from jiceng.accounts.actions import create_superuser, issue_token, revoke_token
from jiceng.accounts.models import ApiToken, User, UserRole
from jiceng.audit.actions import record
from jiceng.audit.models import AuditEntry
from jiceng.cli import browser_url, serve_address
from jiceng.demo.county import COUNTY, DEMO_PASSWORD, DEMO_SEED, build_plan
from jiceng.demo.steps import ACCOUNTS_FILE_EXTRAS, DemoAccount, DemoContext, Output, registered_steps

if TYPE_CHECKING:
    from collections.abc import Iterable

SYSTEM_USERNAME = "demo-system"
TOKEN_NAME = "demo"  # noqa: S105 - the name of the API tokens, not a secret
LOAD_ACTION = "demo.load"


def demo_url() -> str:
    """Where the demo is served: `jiceng demo` serves on JICENG_HOST and JICENG_PORT (127.0.0.1:8000)."""
    return browser_url(*serve_address())


def accounts_file() -> Path:
    return Path(settings.VAR_DIR) / "demo-accounts.json"


def discover_steps() -> None:
    """Import every installed app's ``demo`` module, so that its ``@demo_step`` functions register."""
    autodiscover_modules("demo")


def _create_system_user() -> User:
    """The superuser that the demo data is written by; it has no password, so nobody logs in as it."""
    return create_superuser(SYSTEM_USERNAME, None, full_name="演示数据", via="demo")


@contextmanager
def hash_once(password: str) -> Iterator[None]:
    """Within: ``password`` is hashed once and that hash reused (a real hash of the default hasher).

    The demo password is published and every demo user has it; argon2 costs about 0.1 s a hash, which
    would be most of the load time. Users are still created by ``create_user``.
    """
    hasher = get_hasher("default")
    original = hasher.encode
    encoded = original(password, hasher.salt())

    def encode(raw: str, salt: str) -> str:
        return encoded if raw == password else original(raw, salt)

    hasher.encode = encode  # type: ignore[method-assign, assignment]
    try:
        yield
    finally:
        del hasher.encode


def load_demo(stdout: Output | None = None, *, seed: int = DEMO_SEED) -> DemoContext:
    """Run every registered demo step, in one transaction, acting as the demo system superuser."""
    discover_steps()
    started = time.perf_counter()
    with transaction.atomic(), hash_once(DEMO_PASSWORD):
        ctx = DemoContext(actor=_create_system_user(), seed=seed, plan=build_plan(seed), stdout=stdout)
        ctx.log(f"Loading the demo county {COUNTY[1]} ({COUNTY[0]}), seed {seed}")
        steps = registered_steps()
        for step in steps:
            ctx.rng = random.Random(f"{seed}:{step.name}")
            step_started = time.perf_counter()
            ctx.log(f"- {step.name}: {step.doc}")
            step.func(ctx)
            ctx.log(f"  ({time.perf_counter() - step_started:.1f} s)")
        record(
            LOAD_ACTION,
            actor=ctx.actor,
            object_type="demo",
            object_id=COUNTY[0],
            changes={
                "seed": seed,
                "steps": [s.name for s in steps],
                "accounts": [a.username for a in ctx.accounts],
            },
        )
    ctx.log(f"Demo county loaded in {time.perf_counter() - started:.1f} s")
    return ctx


# --- after loading ---------------------------------------------------------------------------------


def system_user() -> User | None:
    return User.objects.filter(username=SYSTEM_USERNAME, is_superuser=True).first()


def loaded_accounts() -> list[DemoAccount]:
    """The demo accounts of the database, as the last load listed them."""
    entry = AuditEntry.objects.filter(action=LOAD_ACTION).order_by("-id").first()
    usernames: list[str] = list(entry.changes.get("accounts", [])) if entry else []
    users = {
        u.username: u for u in User.objects.select_related("unit__region").filter(username__in=usernames)
    }
    roles: dict[int, list[str]] = {}
    for user_id, role in UserRole.objects.filter(user__in=users.values()).values_list("user_id", "role"):
        roles.setdefault(user_id, []).append(role)
    accounts = []
    for username in usernames:
        user = users.get(username)
        if user is None:
            continue
        unit = user.unit
        accounts.append(
            DemoAccount(
                username=user.username,
                full_name=user.full_name,
                roles=sorted(roles.get(user.pk, [])),
                unit_code=unit.code if unit else None,
                unit_name=unit.name if unit else None,
                region_code=unit.region.code if unit else None,
                region_name=unit.region.name if unit else None,
            )
        )
    return accounts


def issue_tokens(actor: User, accounts: Iterable[DemoAccount]) -> None:
    """A fresh API token for every account; earlier demo tokens (no longer written anywhere) are revoked."""
    accounts = list(accounts)
    with transaction.atomic():
        users = {u.username: u for u in User.objects.filter(username__in=[a.username for a in accounts])}
        stale = ApiToken.objects.filter(user__in=users.values(), name=TOKEN_NAME, revoked_at__isnull=True)
        for token in stale:
            revoke_token(actor, token)
        for account in accounts:
            _token, account.token = issue_token(actor, users[account.username], TOKEN_NAME)


def accounts_document(
    accounts: Iterable[DemoAccount], extras: dict[str, str] | None = None
) -> dict[str, Any]:
    url = demo_url()
    return {
        "generated_at": timezone.now().isoformat(timespec="seconds"),
        "note": (
            f"Demo accounts of the Jiceng demo county {COUNTY[1]} ({COUNTY[0]}). Every account's password "
            f"is {DEMO_PASSWORD}; each token is an API bearer token (Authorization: Bearer <token>) for "
            f"{url}/api/v1/. Demo data only: never use these accounts outside demo mode."
        ),
        "url": url,
        "accounts": [a.as_json() for a in accounts],
        **(extras or {}),
    }


def write_accounts_file(actor: User, accounts: list[DemoAccount], path: Path | None = None) -> Path:
    """Issue fresh tokens and write var/demo-accounts.json (readable by its owner only)."""
    path = path or accounts_file()
    issue_tokens(actor, accounts)
    extras = {name: make(actor) for name, make in ACCOUNTS_FILE_EXTRAS.items()}
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        json.dump(accounts_document(accounts, extras), f, ensure_ascii=False, indent=2)
        f.write("\n")
    tmp.replace(path)
    return path


def read_accounts_file(path: Path | None = None) -> list[DemoAccount] | None:
    """The accounts of an existing file, or None if it is missing or unreadable."""
    path = path or accounts_file()
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return [
            DemoAccount(
                username=a["username"],
                full_name=a.get("full_name", ""),
                roles=list(a["roles"]),
                unit_code=a["unit_code"],
                unit_name=a.get("unit_name"),
                region_code=a["region_code"],
                region_name=a.get("region_name"),
                password=a["password"],
                token=a["token"],
            )
            for a in data["accounts"]
        ]
    except (OSError, ValueError, KeyError, TypeError):
        return None
