"""Notices, opinions, consultations, volunteers, the learning corner and the community feed: the rules
in actions and queries, including who may act where."""

from __future__ import annotations

import threading
from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.utils import timezone

from jiceng.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from jiceng.events.actions import report_event
from jiceng.notifications.models import Notification
from jiceng.portal import actions, queries
from jiceng.portal.models import ArticleKind, NoticeRead, OpinionState, Vote
from tests.conftest import Org
from tests.events.conftest import IN_GRID_A

pytestmark = pytest.mark.django_db


def test_a_notice_for_one_village_reaches_only_its_residents(org: Org, people: dict[str, Any]) -> None:
    cadre = org.user("a", "village_cadre")
    notice = actions.publish_notice(
        cadre, title="停水通知", body="明天 8 点到 12 点停水。", region_code=org.regions["village_a"].code
    )
    county_notice = actions.publish_notice(
        org.user("county", "admin"),
        title="防汛预警",
        body="注意防汛。",
        region_code=org.regions["county"].code,
    )
    assert list(queries.notices_for(people["a1"])) == [county_notice, notice]
    assert list(queries.notices_for(people["b1"])) == [county_notice]
    with pytest.raises(NotFound):
        queries.notice_for(people["b1"], notice.pk)
    pushed = set(
        Notification.objects.filter(kind="notice", title="停水通知").values_list("user_id", flat=True)
    )
    assert pushed == {people["a1"].pk, people["a2"].pk, people["a3"].pk}
    # Read receipts: once per resident, counted against the audience.
    assert queries.unread_notices(people["a1"]) == 2
    assert actions.mark_notice_read(people["a1"], notice) is True
    assert actions.mark_notice_read(people["a1"], notice) is False
    assert queries.unread_notices(people["a1"]) == 1
    stats = queries.read_stats(notice)
    assert (stats.audience, stats.read, stats.percent) == (3, 1, 33)
    assert [n.read_count for n in queries.staff_notices(cadre)] == [1]


def test_staff_publish_only_within_their_jurisdiction(org: Org) -> None:
    with pytest.raises(InvalidInput):
        actions.publish_notice(
            org.user("a", "dispatcher"), title="x", body="x", region_code=org.regions["village_b"].code
        )
    with pytest.raises(PermissionDenied):
        actions.publish_notice(
            org.user("a", "handler"), title="x", body="x", region_code=org.regions["village_a"].code
        )
    notice = actions.publish_notice(
        org.user("a", "dispatcher"), title="x", body="x", region_code=org.regions["village_a"].code
    )
    assert list(queries.staff_notices(org.user("b", "dispatcher"))) == []
    with pytest.raises(NotFound):
        actions.withdraw_notice(org.user("b", "dispatcher"), notice.pk)
    actions.withdraw_notice(org.user("a", "dispatcher"), notice.pk, version=1)
    with pytest.raises(Conflict):
        actions.withdraw_notice(org.user("a", "dispatcher"), notice.pk, version=1)


def test_opinions_get_public_replies(org: Org, people: dict[str, Any]) -> None:
    mine = actions.submit_opinion(people["a1"], title="增加路灯", body="村口太暗，电话 13812345678")
    private = actions.submit_opinion(people["a2"], title="私事", body="只给干部看", public=False)
    assert list(queries.community_opinions(people["a3"])) == [mine]
    assert set(queries.community_opinions(people["a2"])) == {mine, private}
    assert list(queries.community_opinions(people["b1"])) == []
    with pytest.raises(NotFound):
        actions.reply_opinion(org.user("b", "village_cadre"), mine.pk, reply="x")
    replied = actions.reply_opinion(org.user("a", "village_cadre"), mine.pk, reply="已安排安装。", version=1)
    assert replied.state == OpinionState.REPLIED and replied.replied_unit == "A村村委会"
    assert Notification.objects.filter(user=people["a1"], kind="opinion_reply").exists()
    with pytest.raises(Conflict):
        actions.reply_opinion(org.user("a", "village_cadre"), mine.pk, reply="再回复", version=1)
    actions.hide_opinion(org.user("a", "village_cadre"), mine.pk)
    assert list(queries.community_opinions(people["a3"])) == []


def _consultation(org: Org) -> Any:
    return actions.open_consultation(
        org.user("a", "village_cadre"),
        title="小区停车位规划",
        body="是否把空地改为停车位？",
        region_code=org.regions["village_a"].code,
        options=["同意", "不同意", "弃权"],
        closes_at=timezone.now() + timedelta(days=7),
    )


def test_a_vote_cannot_be_cast_twice(org: Org, people: dict[str, Any]) -> None:
    topic = _consultation(org)
    agree, disagree, _abstain = topic.options.all()
    actions.cast_vote(people["a1"], topic.pk, agree.pk)
    with pytest.raises(actions.AlreadyVoted):
        actions.cast_vote(people["a1"], topic.pk, disagree.pk)
    with pytest.raises(PermissionDenied):  # not real-name verified
        actions.cast_vote(people["a3"], topic.pk, agree.pk)
    with pytest.raises(NotFound):  # another village
        actions.cast_vote(people["b1"], topic.pk, agree.pk)
    actions.cast_vote(people["a2"], topic.pk, disagree.pk)
    assert Vote.objects.filter(consultation=topic).count() == 2
    assert [(o.label, n) for o, n in queries.tally(topic)] == [("同意", 1), ("不同意", 1), ("弃权", 0)]


@pytest.mark.django_db(transaction=True)
def test_two_votes_at_once_give_one_vote(org: Org, people: dict[str, Any]) -> None:
    if connection.vendor == "sqlite":
        pytest.skip("SQLite serializes writers; the unique constraint is what decides on PostgreSQL")
    topic = _consultation(org)
    option = topic.options.first()
    outcomes: list[str] = []

    def vote() -> None:
        try:
            actions.cast_vote(people["a1"], topic.pk, option.pk)
            outcomes.append("ok")
        except actions.AlreadyVoted:
            outcomes.append("already")
        finally:
            connection.close()

    threads = [threading.Thread(target=vote) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["already", "ok"]


def test_consultation_lifecycle_and_discussion(org: Org, people: dict[str, Any]) -> None:
    cadre = org.user("a", "village_cadre")
    topic = _consultation(org)
    actions.add_comment(people["a3"], topic.pk, body="我同意，联系我 13812345678")
    comment = actions.add_comment(cadre, topic.pk, body="欢迎大家发表意见。")
    assert [c.body for c in queries.discussion(topic)] == ["我同意，联系我 138****5678", "欢迎大家发表意见。"]
    with pytest.raises(NotFound):
        actions.add_comment(people["b1"], topic.pk, body="x")
    actions.hide_comment(cadre, comment.pk)
    assert len(queries.discussion(topic)) == 1
    with pytest.raises(InvalidInput):
        actions.publish_result(cadre, topic.pk, result="x")
    with pytest.raises(NotFound):
        actions.close_consultation(org.user("b", "village_cadre"), topic.pk)
    actions.close_consultation(cadre, topic.pk)
    with pytest.raises(InvalidInput):
        actions.cast_vote(people["a1"], topic.pk, topic.options.first().pk)
    assert not queries.results_visible(topic)
    actions.publish_result(cadre, topic.pk, result="多数同意，下月施工。")
    topic.refresh_from_db()
    assert queries.results_visible(topic) and topic.result == "多数同意，下月施工。"
    with pytest.raises(InvalidInput):
        actions.open_consultation(
            cadre,
            title="x",
            body="x",
            region_code=org.regions["village_a"].code,
            options=["only one"],
            closes_at=timezone.now() + timedelta(days=1),
        )


def test_volunteer_sign_up_check_in_and_hours(org: Org, people: dict[str, Any]) -> None:
    now = timezone.now()
    activity = actions.create_activity(
        org.user("a", "dispatcher"),
        title="河道清洁",
        place="村口小河",
        region_code=org.regions["township_a"].code,
        starts_at=now + timedelta(minutes=30),
        ends_at=now + timedelta(hours=3),
        capacity=2,
        hours="2.5",
    )
    actions.sign_up_for_activity(people["a1"], activity.pk)
    assert actions.sign_up_for_activity(people["a1"], activity.pk)  # a repeat is the same sign-up
    actions.sign_up_for_activity(people["a2"], activity.pk)
    with pytest.raises(actions.ActivityFull):
        actions.sign_up_for_activity(people["a3"], activity.pk)
    with pytest.raises(NotFound):
        actions.sign_up_for_activity(people["b1"], activity.pk)
    with pytest.raises(InvalidInput):
        actions.check_in(people["a1"], activity.pk, now=now - timedelta(hours=2))
    actions.check_in(people["a1"], activity.pk)
    with pytest.raises(InvalidInput):  # not over yet
        actions.credit_hours(org.user("a", "dispatcher"), activity.pk)
    type(activity).objects.filter(pk=activity.pk).update(ends_at=now - timedelta(minutes=1))
    with pytest.raises(NotFound):
        actions.credit_hours(org.user("b", "dispatcher"), activity.pk)
    assert actions.credit_hours(org.user("a", "dispatcher"), activity.pk) == 1
    assert actions.credit_hours(org.user("a", "dispatcher"), activity.pk) == 0
    assert float(queries.my_hours(people["a1"])) == 2.5 and queries.my_hours(people["a2"]) == 0


def test_anti_fraud_alerts_are_pushed_to_the_region(org: Org, people: dict[str, Any]) -> None:
    actions.publish_article(
        org.user("b", "dispatcher"),
        kind=ArticleKind.ANTI_FRAUD,
        title="警惕冒充客服退款诈骗",
        body="接到自称客服的电话要求转账，请立即挂断。",
        region_code=org.regions["township_b"].code,
    )
    actions.publish_article(
        org.user("a", "dispatcher"),
        kind=ArticleKind.COURSE,
        title="手机支付安全",
        body="第一课……",
        region_code=org.regions["township_a"].code,
    )
    alerted = set(Notification.objects.filter(kind="anti_fraud").values_list("user_id", flat=True))
    assert alerted == {people["b1"].pk}
    assert [a.title for a in queries.articles_for(people["a1"])] == ["手机支付安全"]
    assert [a.title for a in queries.articles_for(people["b1"])] == ["警惕冒充客服退款诈骗"]


def test_the_feed_shows_moderated_reports_with_personal_data_masked(
    org: Org, people: dict[str, Any], categories: Any
) -> None:
    event, _ = report_event(
        people["a1"],
        category="0301",
        title="垃圾没人清",
        description="我是李明，身份证 11010519491231002X",
        **IN_GRID_A,
    )
    assert list(queries.feed_for(people["a2"])) == []
    with pytest.raises(NotFound):
        actions.publish_report(org.user("b", "dispatcher"), event.pk)
    public = actions.publish_report(org.user("a", "dispatcher"), event.pk)
    assert public.description == "我是李明，身份证 110105********002X"
    assert list(queries.feed_for(people["a2"])) == [public]
    assert list(queries.feed_for(people["b1"])) == []
    actions.hide_report(org.user("a", "dispatcher"), event.pk)
    assert list(queries.feed_for(people["a2"])) == []
    assert NoticeRead.objects.count() == 0
