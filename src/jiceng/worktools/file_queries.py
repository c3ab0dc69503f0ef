"""Reads of the file library. A folder is read by its unit's staff, by those whose jurisdiction covers the
unit, and by the staff working below the unit (a township's folders reach its villages); ``read_roles``
narrows the last two to some roles."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db.models import Q, QuerySet

from jiceng.core.errors import NotFound
from jiceng.core.scope import jurisdiction_prefix
from jiceng.worktools.models import Document, DocumentVersion, Folder

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from jiceng.accounts.models import User


def _ancestor_prefixes(code: str) -> list[str]:
    return [code[:n] for n in (2, 4, 6, 9, 12, 15, 18) if n <= len(code)]


def folders(user: User | AnonymousUser | None) -> list[Folder]:
    prefix = jurisdiction_prefix(user)
    if prefix is None or user is None:
        return []
    qs = Folder.objects.select_related("unit")
    if prefix:
        code = user.unit.region.code if user.unit_id else ""  # type: ignore[union-attr]
        qs = qs.filter(
            Q(unit_id=user.unit_id)  # type: ignore[union-attr]
            | Q(region_code__startswith=prefix)
            | Q(scope_prefix__in=_ancestor_prefixes(code))
        )
    roles = user.role_codes if not user.is_superuser else None  # type: ignore[union-attr]
    return [
        f
        for f in qs.order_by("unit__region__code", "unit__code", "name")
        if roles is None or f.unit_id == user.unit_id or not f.read_roles or roles & set(f.read_roles)  # type: ignore[union-attr]
    ]


def folder(user: User | AnonymousUser | None, folder_id: int) -> Folder:
    found = next((f for f in folders(user) if f.pk == folder_id), None)
    if found is None:
        raise NotFound()
    return found


def may_write(user: User, f: Folder) -> bool:
    return user.is_superuser or f.unit_id == user.unit_id


def documents(
    user: User | AnonymousUser | None, *, folder_id: int | None = None, q: str = ""
) -> QuerySet[Document]:
    visible = [f.pk for f in folders(user)]
    qs = Document.objects.filter(folder_id__in=visible, current_version__gt=0).select_related(
        "folder", "folder__unit"
    )
    if folder_id is not None:
        qs = qs.filter(folder_id=folder_id)
    if q:
        qs = qs.filter(name__icontains=q)
    return qs.order_by("name")


def document(user: User | AnonymousUser | None, document_id: int) -> Document:
    found = documents(user).filter(pk=document_id).first()
    if found is None:
        raise NotFound()
    return found


def versions(d: Document) -> QuerySet[DocumentVersion]:
    return d.versions.select_related("uploaded_by").order_by("-number")


def version(d: Document, number: int | None) -> DocumentVersion:
    found = versions(d).filter(number=number or d.current_version).first()
    if found is None:
        raise NotFound()
    return found
