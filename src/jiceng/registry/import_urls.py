"""Import and export pages, mounted at /registry/import/: ``{% url 'registry_import:upload' 'person' %}``."""

from django.urls import path

from jiceng.registry import import_views as views

app_name = "registry_import"
urlpatterns = [
    path("", views.index, name="index"),
    path("jobs/<int:job_id>/", views.job, name="job"),
    path("jobs/<int:job_id>/progress", views.job_progress, name="job_progress"),
    path("jobs/<int:job_id>/errors.csv", views.job_errors, name="job_errors"),
    path("<slug:kind>/", views.upload, name="upload"),
    path("<slug:kind>/template.<str:fmt>", views.template_file, name="template"),
    path("<slug:kind>/export", views.export, name="export"),
]
