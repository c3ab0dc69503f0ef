from django.urls import path

from jiceng.events import views

app_name = "events"
urlpatterns = [
    path("workbench/", views.workbench, name="workbench"),
    path("search/", views.search, name="search"),
    path("search/export/", views.export, name="export"),
    path("m/", views.mobile_home, name="mobile_home"),
    path("m/report/", views.report, name="report"),
    path("m/report/fields/", views.report_fields, name="report_fields"),
    path("m/mine/", views.mobile_list, {"name": "my_reports"}, name="my_reports"),
    path("m/verify/", views.mobile_list, {"name": "grid_to_verify"}, name="grid_to_verify"),
    path("<int:event_id>/", views.detail, name="detail"),
    path("<int:event_id>/act/<slug:action>/", views.act, name="act"),
    path("<int:event_id>/reporter/", views.reveal_reporter, name="reveal_reporter"),
]
