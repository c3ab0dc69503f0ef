from django.urls import path

from jiceng.federation import views

app_name = "federation"
urlpatterns = [
    path("inbox", views.inbox, name="inbox"),
    path("data", views.data, name="data"),
    path("", views.overview, name="overview"),
    path("retry/", views.retry, name="retry"),
    path("routes/", views.route_list, name="routes"),
    path("routes/<int:routed_id>/", views.route_detail, name="route_detail"),
    path("escalations/", views.escalation_list, name="escalations"),
    path("tasks/", views.task_list, name="tasks"),
    path("tasks/<int:task_id>/<slug:action>/", views.task_act, name="task_act"),
]
