from datetime import datetime
from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema
from ninja.pagination import LimitOffsetPagination, paginate
from pydantic import Field, model_validator

from jiceng.core.api import responses
from jiceng.notifications import actions, queries

router = Router(tags=["notifications"])


class NotificationOut(Schema):
    id: int
    kind: str = Field(..., description="What happened, e.g. dispatch, warning_red, verify_pass")
    title: str
    body: str
    event_id: int | None
    created_at: datetime
    read_at: datetime | None


class NotificationFilter(Schema):
    unread: bool = Field(False, description="Only the unread ones")


class UnreadCountOut(Schema):
    count: int


class MarkReadIn(Schema):
    ids: list[int] | None = Field(None, max_length=1000, description="These notifications (all yours)")
    all: bool = Field(False, description="All your notifications")

    @model_validator(mode="after")
    def one_of(self) -> "MarkReadIn":
        if self.all == (self.ids is not None):
            raise ValueError(_("Give either ids or all."))
        return self


class MarkReadOut(Schema):
    marked: int
    unread: int


@router.get("/notifications", response=responses(list[NotificationOut]), summary="Your notifications")
@paginate(LimitOffsetPagination)
def list_notifications(request: HttpRequest, filters: Query[NotificationFilter]) -> Any:
    return queries.notifications(request.user, unread_only=filters.unread)


@router.get("/notifications/unread-count", response=responses(UnreadCountOut), summary="How many are unread")
def unread_count(request: HttpRequest) -> Any:
    return {"count": queries.unread_count(request.user)}


@router.post("/notifications/read", response=responses(MarkReadOut), summary="Mark notifications read")
def mark_read(request: HttpRequest, payload: MarkReadIn) -> Any:
    marked = actions.mark_read(request.user, None if payload.all else payload.ids)  # type: ignore[arg-type]
    return {"marked": marked, "unread": queries.unread_count(request.user)}
