from datetime import datetime
from typing import Any

from django.http import HttpRequest
from ninja import Query, Router, Schema, Status
from ninja.pagination import LimitOffsetPagination, paginate
from pydantic import Field

from jiceng.accounts import actions, queries
from jiceng.accounts.models import ApiToken, User
from jiceng.accounts.roles import Role
from jiceng.core.api import responses
from jiceng.core.errors import NotFound
from jiceng.core.scope import jurisdiction_prefix

router = Router(tags=["accounts"])


class UnitRef(Schema):
    code: str
    name: str
    kind: str
    region_code: str
    region_name: str


def _unit_ref(user: User) -> dict[str, str] | None:
    unit = user.unit
    if unit is None:
        return None
    return {
        "code": unit.code,
        "name": unit.name,
        "kind": unit.kind,
        "region_code": unit.region.code,
        "region_name": unit.region.name,
    }


class UserOut(Schema):
    username: str
    full_name: str
    email: str
    is_active: bool
    is_superuser: bool
    id_number_masked: str = Field(..., description="Masked; the full value needs /personal-data")
    phone_masked: str
    roles: list[Role]
    unit: UnitRef | None
    locked: bool
    last_login: datetime | None
    version: int

    @staticmethod
    def resolve_roles(obj: User) -> list[str]:
        return queries.role_codes(obj)

    @staticmethod
    def resolve_unit(obj: User) -> dict[str, str] | None:
        return _unit_ref(obj)

    @staticmethod
    def resolve_locked(obj: User) -> bool:
        from django.utils import timezone

        return bool(obj.locked_until and obj.locked_until > timezone.now())


class Jurisdiction(Schema):
    everything: bool
    region_prefix: str | None
    region_code: str | None
    region_name: str | None
    region_level: str | None


class MeOut(UserOut):
    jurisdiction: Jurisdiction

    @staticmethod
    def resolve_jurisdiction(obj: User) -> dict[str, Any]:
        region = obj.unit.region if obj.unit_id else None  # type: ignore[union-attr]
        prefix = jurisdiction_prefix(obj)
        return {
            "everything": prefix == "",
            "region_prefix": prefix,
            "region_code": region.code if region else None,
            "region_name": region.name if region else None,
            "region_level": region.level if region else None,
        }


class UserFilter(Schema):
    unit: str = Field("", description="Unit code")
    role: Role | None = None
    region: str = Field("", description="Region code prefix of the user's unit")
    q: str = Field("", max_length=50)


class UserIn(Schema):
    username: str = Field(..., max_length=60)
    password: str = Field(..., max_length=128)
    full_name: str = Field("", max_length=60)
    email: str = Field("", max_length=254)
    id_number: str = Field("", max_length=20, description="GB 11643 resident ID number")
    phone: str = Field("", max_length=20, description="Mobile phone")
    unit_code: str | None = Field(None, max_length=40)
    roles: list[Role] = []


class UserPatch(Schema):
    version: int | None = None
    full_name: str | None = Field(None, max_length=60)
    email: str | None = Field(None, max_length=254)
    id_number: str | None = Field(None, max_length=20)
    phone: str | None = Field(None, max_length=20)
    unit_code: str | None = Field(None, max_length=40)
    roles: list[Role] | None = None
    is_active: bool | None = None


class PasswordIn(Schema):
    password: str = Field(..., max_length=128)
    old_password: str | None = Field(None, max_length=128, description="Required to change your own password")


class TokenIn(Schema):
    name: str = Field(..., min_length=1, max_length=60)


class TokenOut(Schema):
    id: int
    name: str
    prefix: str
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


class NewTokenOut(TokenOut):
    token: str = Field(..., description="Shown once; only a hash is kept")


class PersonalDataOut(Schema):
    id_number: str
    phone: str


class OkOut(Schema):
    ok: bool = True


@router.get("/me", response=responses(MeOut), summary="The caller: user, roles, unit and jurisdiction")
def me(request: HttpRequest) -> Any:
    return queries.user(request.user, request.user.get_username()) if request.user.unit_id else request.user  # type: ignore[union-attr]


@router.get("/me/tokens", response=responses(list[TokenOut]), summary="Your API tokens")
def my_tokens(request: HttpRequest) -> Any:
    return list(queries.tokens(request.user))  # type: ignore[arg-type]


@router.post("/me/tokens", response=responses(NewTokenOut, 201), summary="Issue an API token for yourself")
def issue_token(request: HttpRequest, payload: TokenIn) -> Any:
    token, raw = actions.issue_token(request.user, request.user, payload.name)  # type: ignore[arg-type]
    token.token = raw  # type: ignore[attr-defined]
    return Status(201, token)


@router.delete("/me/tokens/{token_id}", response=responses(OkOut), summary="Revoke one of your tokens")
def revoke_token(request: HttpRequest, token_id: int) -> Any:
    token = queries.tokens(request.user).filter(pk=token_id).first()  # type: ignore[arg-type]
    if token is None:
        raise NotFound()
    actions.revoke_token(request.user, token)
    return {"ok": True}


@router.get("/users", response=responses(list[UserOut]), summary="List users in your jurisdiction")
@paginate(LimitOffsetPagination)
def list_users(request: HttpRequest, filters: Query[UserFilter]) -> Any:
    return queries.users(
        request.user, unit=filters.unit, role=filters.role or "", q=filters.q, region=filters.region
    )


@router.get("/users/{username}", response=responses(UserOut), summary="One user")
def get_user(request: HttpRequest, username: str) -> Any:
    return queries.user(request.user, username)


@router.post("/users", response=responses(UserOut, 201), summary="Create a user (admin)")
def create_user(request: HttpRequest, payload: UserIn) -> Any:
    user = actions.create_user(request.user, **payload.dict())
    return Status(201, queries.user(request.user, user.username))


@router.patch("/users/{username}", response=responses(UserOut), summary="Change a user (admin)")
def update_user(request: HttpRequest, username: str, payload: UserPatch) -> Any:
    target = queries.user(request.user, username)
    data = payload.dict()
    actions.update_user(request.user, target, expected_version=data.pop("version"), **data)
    return queries.user(request.user, username)


@router.get(
    "/users/{username}/personal-data",
    response=responses(PersonalDataOut),
    summary="Full ID number and phone (admin; audited)",
)
def personal_data(request: HttpRequest, username: str, purpose: str = "") -> Any:
    return actions.reveal_personal_data(
        request.user, queries.user(request.user, username), purpose=purpose[:100]
    )


@router.post("/users/{username}/password", response=responses(OkOut), summary="Set a password")
def set_password(request: HttpRequest, username: str, payload: PasswordIn) -> Any:
    target = request.user if username == request.user.get_username() else queries.user(request.user, username)
    actions.set_password(request.user, target, payload.password, old_password=payload.old_password)  # type: ignore[arg-type]
    return {"ok": True}


@router.post("/users/{username}/unlock", response=responses(OkOut), summary="Unlock a locked account (admin)")
def unlock(request: HttpRequest, username: str) -> Any:
    actions.unlock(request.user, queries.user(request.user, username))  # type: ignore[arg-type]
    return {"ok": True}


__all__ = ["ApiToken", "router"]
