from django.urls import path

from jiceng.portal import staff_views, views

app_name = "portal"
urlpatterns = [
    path("", views.home, name="home"),
    path("login/", views.log_in, name="login"),
    path("signup/", views.sign_up, name="signup"),
    path("code/", views.send_code, name="send_code"),
    path("logout/", views.log_out, name="logout"),
    path("privacy/", views.privacy, name="privacy"),
    path("me/", views.account, name="account"),
    path("me/export/", views.export, name="export"),
    path("report/", views.report, name="report"),
    path("report/fields/", views.report_fields, name="report_fields"),
    path("reports/", views.my_reports, name="my_reports"),
    path("reports/<int:event_id>/", views.my_report, name="my_report"),
    path("feed/", views.feed, name="feed"),
    path("notices/", views.notices, name="notices"),
    path("notices/<int:notice_id>/", views.notice, name="notice"),
    path("opinions/", views.opinions, name="opinions"),
    path("consultations/", views.consultations, name="consultations"),
    path("consultations/<int:consultation_id>/", views.consultation, name="consultation"),
    path("volunteer/", views.activities, name="activities"),
    path("volunteer/<int:activity_id>/", views.activity, name="activity"),
    path("learn/", views.learning, name="learning"),
    path("learn/<int:article_id>/", views.article, name="article"),
    path("services/", views.services, name="services"),
    # Staff
    path("staff/", staff_views.staff_home, name="staff_home"),
    path("staff/notices/", staff_views.staff_notices, name="staff_notices"),
    path("staff/notices/<int:notice_id>/", staff_views.staff_notice, name="staff_notice"),
    path("staff/opinions/", staff_views.staff_opinions, name="staff_opinions"),
    path("staff/opinions/<int:opinion_id>/", staff_views.staff_opinion, name="staff_opinion"),
    path("staff/consultations/", staff_views.staff_consultations, name="staff_consultations"),
    path(
        "staff/consultations/<int:consultation_id>/",
        staff_views.staff_consultation,
        name="staff_consultation",
    ),
    path("staff/volunteer/", staff_views.staff_activities, name="staff_activities"),
    path("staff/volunteer/<int:activity_id>/", staff_views.staff_activity, name="staff_activity"),
    path("staff/learn/", staff_views.staff_articles, name="staff_articles"),
    path("staff/feed/", staff_views.staff_feed, name="staff_feed"),
    path("staff/open311/", staff_views.staff_api_clients, name="staff_api_clients"),
]
