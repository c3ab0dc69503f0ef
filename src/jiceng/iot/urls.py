from django.urls import path

from jiceng.iot import views

app_name = "iot"
urlpatterns = [
    path("", views.device_list, name="devices"),
    path("devices/new/", views.device_new, name="device_new"),
    path("devices/<str:code>/", views.device_detail, name="device_detail"),
    path("devices/<str:code>/edit/", views.device_edit, name="device_edit"),
    path("devices/<str:code>/secret/", views.device_secret, name="device_secret"),
    path("alarms/", views.alarm_list, name="alarms"),
    path("events/<int:event_id>/device/", views.event_device, name="event_device"),
    path("rules/", views.rule_list, name="rules"),
    path("rules/<int:rule_id>/edit/", views.rule_edit, name="rule_edit"),
]
