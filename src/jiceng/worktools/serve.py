"""Serving stored files (documents, check-in and visit photos) after the caller's scope was checked."""

from __future__ import annotations

from urllib.parse import quote

from django.db.models.fields.files import FieldFile
from django.http import FileResponse

from jiceng.core.errors import NotFound


def file_response(field: FieldFile, content_type: str, name: str, *, inline: bool) -> FileResponse:
    if not field:
        raise NotFound()
    try:
        handle = field.open("rb")
    except (FileNotFoundError, OSError) as exc:
        raise NotFound() from exc
    response = FileResponse(handle, content_type=content_type)
    disposition = "inline" if inline else "attachment"
    response["Content-Disposition"] = f"{disposition}; filename*=UTF-8''{quote(name, safe='')}"
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response
