from django.urls import path

from jiceng.org import views

app_name = "org"
urlpatterns = [
    path("regions/", views.region_list, name="region_list"),
    path("regions/new/", views.region_create, name="region_create"),
    path("regions/import/", views.region_import, name="region_import"),
    path("regions/<str:code>/", views.region_detail, name="region_detail"),
    path("regions/<str:code>/edit/", views.region_edit, name="region_edit"),
    path("units/", views.unit_list, name="unit_list"),
    path("units/new/", views.unit_create, name="unit_create"),
    path("units/<str:code>/", views.unit_detail, name="unit_detail"),
    path("units/<str:code>/edit/", views.unit_edit, name="unit_edit"),
]
