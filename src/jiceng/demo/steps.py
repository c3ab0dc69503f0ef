"""Demo data as composable steps, each written through the real actions.

A module adds its own demo data by registering a step in its ``demo.py`` (found by autodiscovery, like
``admin.py``)::

    from jiceng.demo.steps import DemoContext, demo_step

    @demo_step(order=500)
    def events(ctx: DemoContext) -> None:
        dispatcher = ctx.users["qingxi_dispatcher"]   # created by the core steps below
        ...                                           # call your module's actions; ctx.rng for choices

Steps run in ``order`` (then name) inside one transaction, acting as the "demo system" superuser
``ctx.actor`` unless they act as a demo user. Core steps: 100 regions, 200 units, 300 users; later modules
use 400 and up. Each step gets its own ``ctx.rng`` seeded from the demo seed and the step's name, so
adding a step never changes what the others make.
"""

from __future__ import annotations

import random
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from jiceng.accounts.actions import create_user
from jiceng.demo.county import DEMO_PASSWORD, DEMO_SEED, CountyPlan, build_plan
from jiceng.org.actions import create_region, create_unit
from jiceng.org.models import Region, RegionLevel, Unit

if TYPE_CHECKING:
    from jiceng.accounts.models import User

DemoStepFunction = Callable[["DemoContext"], None]


class Output(Protocol):
    """Where progress goes: a text stream, or a management command's ``self.stdout``."""

    def write(self, text: str, /) -> Any: ...


@dataclass(frozen=True)
class DemoStep:
    name: str
    order: int
    func: DemoStepFunction
    doc: str = ""


DEMO_STEPS: dict[str, DemoStep] = {}


def demo_step(order: int, name: str | None = None) -> Callable[[DemoStepFunction], DemoStepFunction]:
    """Register ``func`` as a demo step named ``name`` (default: the function's module and name)."""

    def register(func: DemoStepFunction) -> DemoStepFunction:
        step_name = name or f"{func.__module__.removeprefix('jiceng.')}.{func.__name__}"
        existing = DEMO_STEPS.get(step_name)
        if existing is not None and existing.func.__qualname__ != func.__qualname__:
            raise ValueError(f"demo step {step_name!r} is registered twice")
        doc = (func.__doc__ or "").strip().splitlines()
        DEMO_STEPS[step_name] = DemoStep(step_name, order, func, doc[0] if doc else "")
        return func

    return register


# Extra top-level values of var/demo-accounts.json (e.g. an API key), each made by a function of the acting
# user whenever the file is written; a module registers one from its demo.py.
ACCOUNTS_FILE_EXTRAS: dict[str, Callable[[User], str]] = {}


def registered_steps() -> list[DemoStep]:
    return sorted(DEMO_STEPS.values(), key=lambda s: (s.order, s.name))


@dataclass
class DemoAccount:
    """A demo login, as listed in var/demo-accounts.json (plus the token once issued)."""

    username: str
    full_name: str
    roles: list[str]
    unit_code: str | None
    unit_name: str | None
    region_code: str | None
    region_name: str | None
    password: str = DEMO_PASSWORD
    token: str | None = None

    def as_json(self) -> dict[str, Any]:
        return {
            "username": self.username,
            "password": self.password,
            "full_name": self.full_name,
            "roles": self.roles,
            "unit_code": self.unit_code,
            "unit_name": self.unit_name,
            "region_code": self.region_code,
            "region_name": self.region_name,
            "token": self.token,
        }


@dataclass
class DemoContext:
    """What the steps share: the acting superuser, the plan, and everything created so far."""

    actor: User
    seed: int = DEMO_SEED
    plan: CountyPlan = field(default_factory=build_plan)
    rng: random.Random = field(default_factory=random.Random)
    regions: dict[str, Region] = field(default_factory=dict)  # by code
    units: dict[str, Unit] = field(default_factory=dict)  # by code
    users: dict[str, User] = field(default_factory=dict)  # by username
    accounts: list[DemoAccount] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)  # for later steps to pass things on
    stdout: Output | None = None

    def log(self, message: str) -> None:
        out = self.stdout if self.stdout is not None else sys.stdout
        out.write(message + "\n")
        flush = getattr(out, "flush", None)
        if flush is not None:
            flush()

    def add_account(self, user: User, roles: list[str]) -> DemoAccount:
        """List ``user`` (created with the demo password) among the demo accounts."""
        unit = user.unit
        account = DemoAccount(
            username=user.username,
            full_name=user.full_name,
            roles=sorted(roles),
            unit_code=unit.code if unit else None,
            unit_name=unit.name if unit else None,
            region_code=unit.region.code if unit else None,
            region_name=unit.region.name if unit else None,
        )
        self.accounts.append(account)
        return account

    def regions_at(self, level: str) -> list[Region]:
        return [r for r in self.regions.values() if r.level == level]


# --- the core steps --------------------------------------------------------------------------------


@demo_step(order=100, name="org.regions")
def create_regions(ctx: DemoContext) -> None:
    """Province, city, the county, its townships, villages, grids and micro-grids, with boundaries."""
    for r in ctx.plan.regions:
        ctx.regions[r.code] = create_region(
            ctx.actor, code=r.code, name=r.name, level=r.level, parent_code=r.parent_code, boundary=r.boundary
        )
    counts = {
        lvl: len(ctx.regions_at(lvl))
        for lvl in (RegionLevel.TOWNSHIP, RegionLevel.VILLAGE, RegionLevel.GRID, RegionLevel.MICROGRID)
    }
    ctx.log(
        f"  {ctx.plan.county.name}: {counts[RegionLevel.TOWNSHIP]} 乡镇/街道, "
        f"{counts[RegionLevel.VILLAGE]} 村/社区, {counts[RegionLevel.GRID]} 网格, "
        f"{counts[RegionLevel.MICROGRID]} 微网格"
    )


@demo_step(order=200, name="org.units")
def create_units(ctx: DemoContext) -> None:
    """The county command center and departments; township offices, stations and agencies; committees."""
    for u in ctx.plan.units:
        ctx.units[u.code] = create_unit(
            ctx.actor,
            code=u.code,
            name=u.name,
            kind=u.kind,
            region_code=u.region_code,
            credit_code=u.credit_code,
            phone=u.phone,
        )
    ctx.log(f"  {len(ctx.units)} 单位")


@demo_step(order=300, name="accounts.users")
def create_users(ctx: DemoContext) -> None:
    """Staff of every role at the county and in each township, and a few residents."""
    for u in ctx.plan.users:
        user = create_user(
            ctx.actor,
            username=u.username,
            password=DEMO_PASSWORD,
            unit_code=u.unit_code,
            roles=u.roles,
            full_name=u.full_name,
        )
        ctx.users[u.username] = user
        ctx.add_account(user, list(u.roles))
    ctx.log(f"  {len(ctx.users)} 用户")
