from django.urls import path

from jiceng.federation import views

app_name = "federation"
urlpatterns = [
    path("inbox", views.inbox, name="inbox"),
    path("data", views.data, name="data"),
    path("", views.overview, name="overview"),
    path("retry/", views.retry, name="retry"),
    path("systems/<str:code>/rotate-key/", views.rotate_key, name="rotate_key"),
    path("systems/<str:code>/finish-rotation/", views.finish_rotation, name="finish_rotation"),
    path("systems/<str:code>/active/", views.set_active, name="set_active"),
    path("routes/", views.route_list, name="routes"),
    path("routes/<int:routed_id>/", views.route_detail, name="route_detail"),
    path("escalations/", views.escalation_list, name="escalations"),
    path("tasks/", views.task_list, name="tasks"),
    path("tasks/<int:task_id>/<slug:action>/", views.task_act, name="task_act"),
]
