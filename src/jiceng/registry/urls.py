"""Pages of the base data under /registry/. Each kind has its own literal prefix (the view gets ``kind``
as an extra argument), so only record keys are URL parameters and /registry/import/ stays free."""

from django.urls import URLPattern, path

from jiceng.registry import schema, views

app_name = "registry"


def _kind_patterns(kind: str) -> list[URLPattern]:
    extra = {"kind": kind}
    return [
        path(f"{kind}/", views.record_list, extra, name="list"),
        path(f"{kind}/new/", views.create, extra, name="new"),
        path(f"{kind}/<str:key>/", views.detail, extra, name="detail"),
        path(f"{kind}/<str:key>/edit/", views.edit, extra, name="edit"),
        path(f"{kind}/<str:key>/delete/", views.delete, extra, name="delete"),
        path(f"{kind}/<str:key>/reveal/", views.reveal, extra, name="reveal"),
    ]


urlpatterns = [
    path("", views.overview, name="overview"),
    path("quality/", views.quality_page, name="quality"),
    path(
        "person/<str:key>/special-groups/",
        views.special_group_add,
        {"kind": "person"},
        name="special_group_add",
    ),
    path(
        "person/<str:key>/special-groups/<int:entry_id>/end/",
        views.special_group_end,
        {"kind": "person"},
        name="special_group_end",
    ),
    *(p for kind in schema.KINDS for p in _kind_patterns(kind)),
]
