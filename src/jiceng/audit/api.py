from datetime import datetime
from typing import Any

from django.http import HttpRequest
from ninja import Query, Router, Schema
from ninja.pagination import LimitOffsetPagination, paginate
from pydantic import Field

from jiceng.audit import queries
from jiceng.core.api import responses

router = Router(tags=["audit"])


class AuditEntryOut(Schema):
    id: int
    at: datetime
    username: str
    unit_code: str
    ip: str
    request_id: str
    action: str
    object_type: str
    object_id: str
    changes: dict[str, Any]
    result: str


class AuditFilter(Schema):
    username: str = Field("", max_length=150)
    action: str = Field("", max_length=60, description="Action, or its beginning (e.g. auth.)")
    object_type: str = Field("", max_length=60)
    object_id: str = Field("", max_length=64)
    since: datetime | None = None
    until: datetime | None = None


@router.get("/audit", response=responses(list[AuditEntryOut]), summary="Audit log (admin)")
@paginate(LimitOffsetPagination)
def list_audit(request: HttpRequest, filters: Query[AuditFilter]) -> Any:
    return queries.audit_entries(request.user, **filters.dict())  # type: ignore[arg-type]
