from django.urls import path

from jiceng.applications import views

app_name = "applications"
urlpatterns = [
    path("", views.workbench, name="workbench"),
    path("new/", views.intake, name="intake"),
    path("catalog/", views.catalog, name="catalog"),
    path("catalog/<str:code>/", views.catalog_item, name="catalog_item"),
    path("catalog/<str:code>/edit/", views.catalog_edit, name="catalog_edit"),
    path("materials/<int:material_id>/<str:which>/", views.material_file, name="material_file"),
    path("ratings/", views.stats, name="stats"),
    path("progress/", views.progress, name="progress"),
    path("rate/<str:token>/", views.rate, name="rate"),
    path("<int:application_id>/", views.detail, name="detail"),
    path("<int:application_id>/receipt/", views.receipt, name="receipt"),
    path("<int:application_id>/act/<slug:action>/", views.act, name="act"),
    path("<int:application_id>/applicant/", views.reveal_applicant, name="reveal_applicant"),
]
