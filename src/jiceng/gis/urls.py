from django.urls import path

from jiceng.gis import views

app_name = "gis"
urlpatterns = [path("", views.map_page, name="map")]
