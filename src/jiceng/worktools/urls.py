from django.urls import path

from jiceng.worktools import views

app_name = "worktools"
urlpatterns = [
    path("m/", views.mobile_home, name="mobile_home"),
    path("manifest.webmanifest", views.manifest, name="manifest"),
    path("sw.js", views.service_worker, name="service_worker"),
    path("m/patrol/", views.patrol_page, name="patrol"),
    path("patrols/", views.patrol_board, name="patrol_board"),
    path("patrols/<int:patrol_id>/", views.patrol_detail, name="patrol_detail"),
    path("checkins/<int:checkin_id>/photo/", views.checkin_photo, name="checkin_photo"),
    path("m/visits/", views.visits, name="visits"),
    path("visits/new/", views.visit_new, name="visit_new"),
    path("logs/", views.work_log, name="work_log"),
    path("ledgers/", views.ledger, {"name": "visits"}, name="ledgers"),
    path("ledgers/<slug:name>/", views.ledger, name="ledger"),
    path("ledgers/<slug:name>/export/", views.ledger_export, name="ledger_export"),
    path("assignments/", views.assignments, name="assignments"),
    path("contacts/", views.address_book, name="contacts"),
    path("contacts/<str:username>/call/", views.call, name="call"),
    path("messages/", views.conversations, name="conversations"),
    path("messages/open/", views.conversation_open, name="conversation_open"),
    path("messages/<int:conversation_id>/", views.conversation, name="conversation"),
    path("messages/<int:conversation_id>/poll/", views.conversation_poll, name="conversation_poll"),
    path("files/", views.library, name="library"),
    path("files/<int:document_id>/", views.document, name="document"),
    path("files/<int:document_id>/file/", views.document_file, name="document_file"),
]
