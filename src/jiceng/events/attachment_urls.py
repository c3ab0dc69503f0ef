"""Page URLs of attachment files (session login), for templates: ``{% url 'event_attachments:file' … %}``.

Files are never served from a public media URL; these views check the event's scope like the API.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import FileResponse, HttpRequest
from django.urls import path
from django.views.decorators.http import require_safe

from jiceng.events import attachments


@require_safe
@login_required
def attachment_file(request: HttpRequest, event_id: int, attachment_id: int) -> FileResponse:
    item = attachments.attachment(request.user, event_id, attachment_id)
    return attachments.file_response(request, item, "file")


@require_safe
@login_required
def attachment_thumbnail(request: HttpRequest, event_id: int, attachment_id: int) -> FileResponse:
    item = attachments.attachment(request.user, event_id, attachment_id)
    return attachments.file_response(request, item, "thumbnail")


app_name = "event_attachments"
urlpatterns = [
    path("<int:event_id>/attachments/<int:attachment_id>/file", attachment_file, name="file"),
    path("<int:event_id>/attachments/<int:attachment_id>/thumbnail", attachment_thumbnail, name="thumbnail"),
]
