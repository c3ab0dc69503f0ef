"""Records of the portal outside a user's jurisdiction, for tests/test_authorization_matrix.py."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from jiceng.portal.models import (
    Article,
    ArticleKind,
    Consultation,
    Notice,
    Opinion,
    VolunteerActivity,
)
from tests.conftest import Org

# Keyed portal pages: resident pages answer 403 to staff, staff pages 404 outside the jurisdiction.
PORTAL_PAGE_ROUTES = {
    "portal:my_report": ("get", "event_id"),
    "portal:notice": ("get", "notice_id"),
    "portal:consultation": ("get", "consultation_id"),
    "portal:activity": ("get", "activity_id"),
    "portal:article": ("get", "article_id"),
    "portal:staff_notice": ("post", "notice_id"),
    "portal:staff_opinion": ("post", "opinion_id"),
    "portal:staff_consultation": ("post", "consultation_id"),
    "portal:staff_activity": ("post", "activity_id"),
}


def outside_portal(org: Org, where: str, event_id: str) -> dict[str, dict[str, str]]:
    """Route-name prefix → URL kwargs of a record in township B (for township users) or in the other
    county (for county users)."""
    region = org.regions["village_b" if where == "a" else "township_2"]
    author = org.user("b", "village_cadre") if where == "a" else org.user("county_2", "handler")
    now = timezone.now()
    notice = Notice.objects.create(
        title="外部通知",
        body="x",
        region=region,
        region_code=region.code,
        published_at=now,
        created_by=author,
    )
    opinion = Opinion.objects.create(author=author, region_code=region.code, title="外部意见", body="x")
    consultation = Consultation.objects.create(
        title="外部议题",
        body="x",
        region=region,
        region_code=region.code,
        closes_at=now + timedelta(days=1),
        created_by=author,
    )
    consultation.options.create(label="同意")
    activity = VolunteerActivity.objects.create(
        title="外部活动",
        place="x",
        region=region,
        region_code=region.code,
        starts_at=now - timedelta(hours=1),
        ends_at=now - timedelta(minutes=1),
        capacity=3,
        hours=1,
        created_by=author,
    )
    article = Article.objects.create(
        kind=ArticleKind.ARTICLE,
        title="外部文章",
        body="x",
        region=region,
        region_code=region.code,
        published_at=now,
        created_by=author,
    )
    return {
        "portal:my_report": {"event_id": event_id},
        "portal:notice": {"notice_id": str(notice.pk)},
        "portal:consultation": {"consultation_id": str(consultation.pk)},
        "portal:activity": {"activity_id": str(activity.pk)},
        "portal:article": {"article_id": str(article.pk)},
        "portal:staff_notice": {"notice_id": str(notice.pk)},
        "portal:staff_opinion": {"opinion_id": str(opinion.pk)},
        "portal:staff_consultation": {"consultation_id": str(consultation.pk)},
        "portal:staff_activity": {"activity_id": str(activity.pk)},
    }
