from django.urls import path

from jiceng.events import category_views as views

app_name = "event_categories"
urlpatterns = [
    path("", views.category_list, name="list"),
    path("new/", views.category_create, name="create"),
    path("schema-preview/", views.schema_preview, name="schema_preview"),
    path("<str:code>/", views.category_detail, name="detail"),
    path("<str:code>/edit/", views.category_edit, name="edit"),
]
