"""Assembles the API: every module's router on the one NinjaAPI."""

from jiceng.accounts.api import router as accounts_router
from jiceng.analytics.api import router as analytics_router
from jiceng.applications.api import router as applications_router
from jiceng.audit.api import router as audit_router
from jiceng.core.api import api
from jiceng.events.api import router as events_router
from jiceng.events.attachment_api import router as event_attachments_router
from jiceng.events.category_api import router as event_categories_router
from jiceng.federation.api import router as federation_router
from jiceng.gis.api import router as gis_router
from jiceng.iot.api import router as iot_router
from jiceng.notifications.api import router as notifications_router
from jiceng.org.api import router as org_router
from jiceng.registry.api import router as registry_router
from jiceng.worktools.api import router as worktools_router

api.add_router("", accounts_router)
api.add_router("", org_router)
api.add_router("", audit_router)
api.add_router("", events_router)
api.add_router("", event_attachments_router)
api.add_router("", event_categories_router)
api.add_router("", notifications_router)
api.add_router("", analytics_router)
api.add_router("", gis_router)
api.add_router("/registry", registry_router)
api.add_router("", federation_router)
api.add_router("", worktools_router)
api.add_router("", applications_router)
api.add_router("", iot_router)

__all__ = ["api"]
