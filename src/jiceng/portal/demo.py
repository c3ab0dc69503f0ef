"""Demo data of the resident portal, written through its actions: residents of a few villages, notices
with read receipts, opinions with replies, a consultation with votes, volunteer activities, the learning
corner and an Open311 API key for a third-party app."""

from __future__ import annotations

from datetime import date, timedelta

from django.utils import timezone

from jiceng.accounts.models import User
from jiceng.core.validators import make_id_number
from jiceng.demo.county import COUNTY, person_names
from jiceng.demo.steps import ACCOUNTS_FILE_EXTRAS, DemoContext, demo_step
from jiceng.org.models import RegionLevel
from jiceng.portal import actions, residents
from jiceng.portal.models import ApiClient, ArticleKind, NoticeKind, ResidentProfile
from jiceng.portal.open311.actions import authenticate, issue_client, revoke_client

RESIDENTS_PER_VILLAGE = 8

NOTICES = [
    (
        "township",
        NoticeKind.NOTICE,
        "关于开展冬季消防安全大检查的通知",
        "近期天干物燥，各村（社区）将于本周开展入户消防安全检查，重点检查电动自行车充电、燃气使用和疏散通道。请居民朋友配合。",
    ),
    (
        "village",
        NoticeKind.NOTICE,
        "停水通知",
        "因自来水管网改造，本周六 8:00 至 14:00 本村（社区）停水，请提前储水。给您带来不便，敬请谅解。",
    ),
    (
        "county",
        NoticeKind.POLICY,
        "城乡居民医疗保险 2027 年度参保缴费开始",
        "2027 年度城乡居民基本医疗保险集中缴费期为即日起至 12 月 31 日，"
        "个人缴费标准见附件，可通过手机银行、社区窗口等渠道缴纳。",
    ),
    (
        "township",
        NoticeKind.POLICY,
        "老旧小区改造项目公示",
        "经审核，以下小区列入明年老旧小区改造计划，公示期 7 天。如有异议请在公示期内向街道（乡镇）反映。",
    ),
]
OPINIONS = [
    (
        "建议在村口增设路灯",
        "村口到菜市场一段晚上很黑，老人出门不方便，建议增设两盏路灯。",
        "已列入本月为民办实事项目，预计月底前安装完成。",
    ),
    (
        "垃圾分类投放点太少",
        "三组只有一个投放点，离得远，希望再增加一个。",
        "已协调环卫站，下周在三组增设一个分类投放点。",
    ),
    (
        "希望开设老年人智能手机课",
        "很多老人不会用手机挂号、缴费，能否请志愿者教一教？",
        "学习园地已上线“手机支付安全”微课堂，每周三下午在党群服务中心现场教学。",
    ),
    ("小区停车难", "晚上车位不够，很多车停在消防通道上。", ""),
    ("公园健身器材损坏", "公园东侧的两台健身器材坏了，存在安全隐患。", ""),
    ("建议增加公交班次", "早高峰去镇上的公交太少，经常等半个小时。", ""),
]
ARTICLES = [
    (
        ArticleKind.ANTI_FRAUD,
        "警惕冒充客服退款诈骗",
        "近期多发冒充电商客服以“商品质量问题退款”“快递丢失理赔”为由实施诈骗的案件。"
        "请记住：正规客服不会要求您下载会议软件共享屏幕，更不会要求转账。如有疑问，请拨打 96110 咨询。",
    ),
    (
        ArticleKind.COURSE,
        "手机支付安全第一课",
        "一、设置独立的支付密码，不与其他密码相同；二、不点击陌生短信中的链接；三、不向任何人透露验证码；四、开通交易提醒，发现异常立即冻结。",
    ),
    (
        ArticleKind.ARTICLE,
        "如何通过“我要爆料”反映身边问题",
        "打开数字社区首页，点击“我要爆料”，选择问题类型，拍照并确认位置，简要描述后提交。处理进度可在“我的爆料”中查看，办结后请对处理结果进行评价。",
    ),
]


DEMO_CLIENT_NAME = "随手拍（第三方应用示例）"
_issued: dict[str, str] = {}  # the key the step issued in this process, for the accounts file


def open311_api_key(actor: User) -> str:
    """``open311_api_key`` in var/demo-accounts.json: the key the step printed, or (when the file is
    written again later) a fresh one, the demo app's earlier keys revoked."""
    key = _issued.pop("key", None)
    if key is not None and authenticate(key) is not None:
        return key
    for stale in ApiClient.objects.filter(name=DEMO_CLIENT_NAME, revoked_at__isnull=True):
        revoke_client(actor, stale.pk)
    return issue_client(actor, name=DEMO_CLIENT_NAME, jurisdiction_code=COUNTY[0])[1]


ACCOUNTS_FILE_EXTRAS["open311_api_key"] = open311_api_key


@demo_step(order=700)
def portal(ctx: DemoContext) -> None:
    """Residents, notices, opinions, a consultation, volunteer activities, articles and an Open311 key."""
    rng = ctx.rng
    now = timezone.now()
    townships = [r for r in ctx.plan.regions if r.level == RegionLevel.TOWNSHIP][:2]
    villages = {
        t.code: [r for r in ctx.plan.regions if r.level == RegionLevel.VILLAGE and r.parent_code == t.code][
            :2
        ]
        for t in townships
    }
    names = iter(person_names(rng, RESIDENTS_PER_VILLAGE * 4))
    people: dict[str, list] = {}
    serial = 0
    for township in townships:
        for village in villages[township.code]:
            for i in range(RESIDENTS_PER_VILLAGE):
                serial += 1
                verified = i < RESIDENTS_PER_VILLAGE - 2
                birth = date(1950 + rng.randrange(50), rng.randrange(1, 13), rng.randrange(1, 28))
                user = residents.register_at_window(
                    ctx.actor,
                    phone=f"1390571{serial:04d}",
                    community=village.code,
                    full_name=next(names),
                    id_number=make_id_number(COUNTY[0], birth, 100 + serial) if verified else "",
                    sensitive_consent=verified,
                    now=now - timedelta(days=30),
                )
                people.setdefault(village.code, []).append(user)
    first_township = townships[0]
    first_village = villages[first_township.code][0]
    dispatcher = ctx.users.get(f"{first_township.key}_dispatcher", ctx.actor)
    cadre = ctx.users.get(f"{first_township.key}_cadre", ctx.actor)

    targets = {"township": first_township.code, "village": first_village.code, "county": COUNTY[0]}
    for where, kind, title, body in NOTICES:
        author = ctx.actor if where == "county" else cadre if where == "village" else dispatcher
        notice = actions.publish_notice(author, title=title, body=body, region_code=targets[where], kind=kind)
        for user in people[first_village.code][: rng.randrange(2, RESIDENTS_PER_VILLAGE)]:
            actions.mark_notice_read(user, notice)

    for i, (title, body, reply) in enumerate(OPINIONS):
        author = people[first_village.code][i % RESIDENTS_PER_VILLAGE]
        opinion = actions.submit_opinion(author, title=title, body=body, public=i != 4)
        if reply:
            actions.reply_opinion(cadre, opinion.pk, reply=reply)

    topic = actions.open_consultation(
        cadre,
        title="村民广场东侧空地改建停车位",
        body="广场东侧空地约 600 平方米，拟改建为 40 个停车位，费用由村集体承担。请村民发表意见并投票。",
        region_code=first_village.code,
        options=["同意改建", "不同意，保留为活动场地", "弃权"],
        closes_at=now + timedelta(days=7),
    )
    options = list(topic.options.all())
    voters = set(
        ResidentProfile.objects.filter(region_code=first_village.code, verified_at__isnull=False).values_list(
            "user_id", flat=True
        )
    )
    for user in people[first_village.code]:
        if user.pk in voters:
            actions.cast_vote(user, topic.pk, rng.choices(options, weights=[6, 3, 1])[0].pk)
    actions.add_comment(people[first_village.code][0], topic.pk, body="支持改建，晚上停车太难了。")
    actions.add_comment(people[first_village.code][1], topic.pk, body="希望保留一部分给老人跳广场舞。")

    done = actions.create_activity(
        dispatcher,
        title="河道清洁志愿活动",
        body="清理河岸垃圾，请穿方便劳动的衣服，工具由村委会提供。",
        place="青溪河村段",
        region_code=first_township.code,
        starts_at=now - timedelta(days=3, hours=3),
        ends_at=now - timedelta(days=3),
        capacity=20,
        hours="3",
    )
    for user in people[first_village.code][:5]:
        actions.sign_up_for_activity(user, done.pk, now=now - timedelta(days=5))
        actions.check_in(user, done.pk, now=now - timedelta(days=3, hours=2))
    actions.credit_hours(dispatcher, done.pk)
    upcoming = actions.create_activity(
        dispatcher,
        title="敬老院陪伴日",
        body="陪老人聊天、读报，协助打扫卫生。",
        place="镇敬老院",
        region_code=first_township.code,
        starts_at=now + timedelta(days=4),
        ends_at=now + timedelta(days=4, hours=3),
        capacity=10,
        hours="3",
    )
    for user in people[first_village.code][5:7]:
        actions.sign_up_for_activity(user, upcoming.pk)

    for article_kind, title, body in ARTICLES:
        actions.publish_article(ctx.actor, kind=article_kind, title=title, body=body, region_code=COUNTY[0])

    client, key = issue_client(ctx.actor, name=DEMO_CLIENT_NAME, jurisdiction_code=COUNTY[0])
    ctx.extra["open311_api_key"] = _issued["key"] = key
    sample = people[first_village.code][0]
    ctx.log(
        f"  {serial} residents; log in at /portal/login/ with phone {sample.phone} "
        "and the SMS code in the log"
    )
    ctx.log(
        f"  Open311 API key ({client.name}): {key}  "
        f"(POST /open311/v2/requests.json, jurisdiction_id={COUNTY[0]})"
    )
