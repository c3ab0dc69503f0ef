from django.urls import path

from jiceng.analytics import views

app_name = "analytics"
urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("regions/<str:code>/", views.dashboard, name="region"),
    path("screen/", views.screen, name="screen"),
    path("screen/<str:code>/", views.screen, name="screen_region"),
    path("warnings/", views.warning_list, name="warnings"),
    path("report/", views.monthly_report, name="report"),
    path("scorecards/", views.scorecards, name="scorecards"),
    path("scorecards/compute/", views.compute, name="compute"),
    path("scorecards/export/", views.scorecard_export, name="scorecard_export"),
    path("scores/<int:item_id>/", views.score_item, name="score_item"),
    path("rules/", views.rule_list, name="rules"),
    path("rules/new/", views.rule_create, name="rule_create"),
    path("rules/<int:rule_id>/edit/", views.rule_edit, name="rule_edit"),
]
