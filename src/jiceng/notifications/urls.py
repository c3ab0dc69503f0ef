from django.urls import path

from jiceng.notifications import views

app_name = "notifications"
urlpatterns = [
    path("", views.notification_list, name="list"),
    path("read/", views.mark_read, name="read"),
    path("badge/", views.badge, name="badge"),
]
