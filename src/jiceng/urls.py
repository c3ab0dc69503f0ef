from django.urls import include, path
from django.views.i18n import set_language

from jiceng.api import api
from jiceng.web import views as web_views

urlpatterns = [
    path("healthz", web_views.healthz, name="healthz"),
    path("api/v1/", api.urls),
    path("i18n/setlang/", set_language, name="set_language"),
    path("accounts/", include("jiceng.accounts.urls")),
    path("org/", include("jiceng.org.urls")),
    path("audit/", include("jiceng.audit.urls")),
    path("events/categories/", include("jiceng.events.category_urls")),
    path("events/", include("jiceng.events.attachment_urls")),
    path("events/", include("jiceng.events.urls")),
    path("notifications/", include("jiceng.notifications.urls")),
    path("analytics/", include("jiceng.analytics.urls")),
    path("map/", include("jiceng.gis.urls")),
    path("registry/import/", include("jiceng.registry.import_urls")),
    path("registry/", include("jiceng.registry.urls")),
    path("federation/", include("jiceng.federation.urls")),
    path("worktools/", include("jiceng.worktools.urls")),
    path("open311/v2/", include("jiceng.portal.open311.urls")),
    path("portal/", include("jiceng.portal.urls")),
    path("services/", include("jiceng.applications.urls")),
    path("iot/", include("jiceng.iot.urls")),
    path("", include("jiceng.web.urls")),
]

handler403 = "jiceng.web.views.permission_denied"
handler404 = "jiceng.web.views.page_not_found"
handler500 = "jiceng.web.views.server_error"
