"""Patrols: start, track points in idempotent batches (lost answers, offline queues), stop, distance;
check-ins flagged when far; events reported on patrol link to it; who is on patrol; dispatch; duties."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from jiceng.audit.models import AuditEntry
from jiceng.notifications.models import Notification
from jiceng.worktools import patrol_actions, patrol_queries
from jiceng.worktools.models import CheckIn, DutyKind, Patrol, PatrolEvent, PatrolState, TrackPoint
from tests.conftest import Org
from tests.worktools.conftest import png_bytes, points

pytestmark = pytest.mark.django_db


def start(api_as: Any, user: Any) -> dict[str, Any]:
    response = api_as(user).post("/api/v1/worktools/patrols")
    assert response.status_code in (200, 201), response.content
    return response.json()


def test_batches_are_idempotent_and_late_points_fill_the_track(org: Org, api_as: Any) -> None:
    worker = org.user("a", "grid_worker")
    patrol = start(api_as, worker)
    client = api_as(worker)
    t0 = timezone.now() - timedelta(minutes=5)
    url = f"/api/v1/worktools/patrols/{patrol['id']}/points"
    first = client.post_json(url, {"points": points(t0, range(0, 5))}).json()
    assert (first["stored"], first["duplicates"]) == (5, 0)
    # The answer was lost: the phone sends the same batch again, plus the next points.
    again = client.post_json(url, {"points": points(t0, range(0, 8))}).json()
    assert (again["stored"], again["duplicates"], again["point_count"]) == (3, 5, 8)
    # Points queued while offline arrive after later ones.
    client.post_json(url, {"points": points(t0, range(12, 15))})
    late = client.post_json(url, {"points": points(t0, range(8, 12))}).json()
    assert late["point_count"] == 15
    seqs = list(TrackPoint.objects.filter(patrol_id=patrol["id"]).values_list("seq", flat=True))
    assert seqs == list(range(15))
    # 14 steps of 0.001° longitude at 30°N ≈ 96.3 m each.
    assert late["distance_m"] == pytest.approx(14 * 96.3, rel=0.01)


def test_a_bad_point_refuses_the_whole_batch(org: Org, api_as: Any) -> None:
    worker = org.user("a", "grid_worker")
    patrol = start(api_as, worker)
    t0 = timezone.now() - timedelta(minutes=1)
    batch = points(t0, range(0, 3))
    batch[2]["at"] = (timezone.now() + timedelta(hours=2)).isoformat()
    response = api_as(worker).post_json(f"/api/v1/worktools/patrols/{patrol['id']}/points", {"points": batch})
    assert response.status_code == 422
    assert response.json()["code"] == "invalid_points"
    assert "points.2.recorded_at" in response.json()["details"]
    assert not TrackPoint.objects.exists()


def test_only_the_worker_adds_points_and_outsiders_see_nothing(org: Org, api_as: Any) -> None:
    patrol = start(api_as, org.user("a", "grid_worker"))
    body = {"points": points(timezone.now(), [0])}
    url = f"/api/v1/worktools/patrols/{patrol['id']}/points"
    assert api_as(org.user("a", "village_cadre")).post_json(url, body).status_code == 403
    assert api_as(org.user("b", "grid_worker")).post_json(url, body).status_code == 404
    assert (
        api_as(org.user("b", "dispatcher")).get(f"/api/v1/worktools/patrols/{patrol['id']}").status_code
        == 404
    )
    assert (
        api_as(org.user("a", "dispatcher")).get(f"/api/v1/worktools/patrols/{patrol['id']}").status_code
        == 200
    )
    assert api_as(org.user("a", "handler")).post("/api/v1/worktools/patrols").status_code == 403


def test_start_twice_returns_the_running_patrol_and_stop_twice_conflicts(org: Org, api_as: Any) -> None:
    worker = org.user("a", "grid_worker")
    first, second = start(api_as, worker), start(api_as, worker)
    assert first["id"] == second["id"]
    client = api_as(worker)
    url = f"/api/v1/worktools/patrols/{first['id']}/stop"
    stale = first["version"]
    assert client.post_json(url, {"version": stale}).status_code == 200
    again = client.post_json(url, {"version": stale})
    assert again.status_code == 409
    assert Patrol.objects.get().state == PatrolState.ENDED
    assert AuditEntry.objects.filter(action="patrol.stop").count() == 1


def test_events_reported_on_patrol_link_to_it(org: Org, categories: Any, api_as: Any) -> None:
    worker = org.user("a", "grid_worker")
    patrol = start(api_as, worker)
    client = api_as(worker)
    response = client.post_json(
        f"/api/v1/worktools/patrols/{patrol['id']}/events",
        {"category": "0301", "title": "路边垃圾", "lng": 120.01, "lat": 30.01},
    )
    assert response.status_code == 201, response.content
    linked = response.json()["id"]
    # Reported on the ordinary report page during the patrol: linked when the patrol ends.
    other = client.post_json(
        "/api/v1/events", {"category": "0301", "title": "井盖缺失", "lng": 120.012, "lat": 30.01}
    )
    client.post_json(f"/api/v1/worktools/patrols/{patrol['id']}/stop", {})
    assert set(PatrolEvent.objects.filter(patrol_id=patrol["id"]).values_list("event_id", flat=True)) == {
        linked,
        other.json()["id"],
    }
    detail = client.get(f"/api/v1/worktools/patrols/{patrol['id']}").json()
    assert detail["event_ids"] == sorted([linked, other.json()["id"]])


def test_check_in_near_and_far(
    org: Org, registry_records: Any, places: Any, api_as: Any, settings: Any
) -> None:
    settings.JICENG_CHECKIN_MAX_DISTANCE_M = 200
    worker = org.user("a", "grid_worker")
    place = places["a"]
    client = api_as(worker)
    near = client.post(
        "/api/v1/worktools/checkins",
        {
            "place_code": place.code,
            "lng": place.lng + 0.0005,
            "lat": place.lat,
            "photo": SimpleUploadedFile("p.png", png_bytes()),
        },
    )
    assert near.status_code == 201, near.content
    assert near.json()["far"] is False and near.json()["has_photo"] is True
    far = client.post(
        "/api/v1/worktools/checkins", {"place_code": place.code, "lng": place.lng + 0.01, "lat": place.lat}
    )
    assert far.json()["far"] is True and far.json()["distance_m"] > 900
    # Not a photo: refused, nothing stored.
    bad = client.post(
        "/api/v1/worktools/checkins",
        {
            "place_code": place.code,
            "lng": place.lng,
            "lat": place.lat,
            "photo": SimpleUploadedFile("x.png", b"not a picture"),
        },
    )
    assert bad.status_code == 422 and bad.json()["code"] == "invalid_photo"
    # A place in township B is not found for A's worker.
    outside = client.post(
        "/api/v1/worktools/checkins",
        {"place_code": registry_records["b"]["place"].code, "lng": 120.11, "lat": 30.01},
    )
    assert outside.status_code == 422 and outside.json()["code"] == "invalid_target"
    assert CheckIn.objects.count() == 2
    # A resend with the same client id is stored once.
    for _ in range(2):
        client.post(
            "/api/v1/worktools/checkins",
            {
                "house_code": registry_records["a"]["house"].code,
                "lng": 120.01,
                "lat": 30.01,
                "client_id": "c-1",
            },
        )
    assert CheckIn.objects.count() == 3


def test_dispatcher_sees_who_is_on_patrol_and_sends_a_task_to_the_nearest(org: Org, api_as: Any) -> None:
    worker = org.user("a", "grid_worker")
    patrol = start(api_as, worker)
    api_as(worker).post_json(
        f"/api/v1/worktools/patrols/{patrol['id']}/points",
        {"points": points(timezone.now() - timedelta(minutes=1), range(3))},
    )
    dispatcher = api_as(org.user("a", "dispatcher"))
    geo = dispatcher.get("/api/v1/worktools/patrols/geojson?tracks=true").json()
    kinds = sorted(f["properties"]["kind"] for f in geo["features"])
    assert kinds == ["position", "track"]
    assert (
        api_as(org.user("b", "dispatcher")).get("/api/v1/worktools/patrols/geojson").json()["features"] == []
    )
    nearest = dispatcher.get("/api/v1/worktools/patrols/nearest?lng=120.02&lat=30.01").json()
    assert nearest[0]["patrol"]["worker"] == worker.username
    sent = dispatcher.post_json(
        "/api/v1/worktools/tasks",
        {"worker": worker.username, "message": "去解放路看看积水", "lng": 120.02, "lat": 30.01},
    )
    assert sent.status_code == 201, sent.content
    assert Notification.objects.filter(user=worker, kind="patrol_task").count() == 1
    # Township B's dispatcher cannot send to A's worker; a grid worker cannot dispatch.
    assert (
        api_as(org.user("b", "dispatcher"))
        .post_json("/api/v1/worktools/tasks", {"worker": worker.username, "message": "x"})
        .status_code
        == 422
    )
    assert (
        api_as(worker)
        .post_json("/api/v1/worktools/tasks", {"worker": worker.username, "message": "x"})
        .status_code
        == 403
    )


def test_duties_show_due_and_missed(org: Org, registry_records: Any, places: Any, api_as: Any) -> None:
    dispatcher = org.user("a", "dispatcher")
    township = org.regions["township_a"].code
    client = api_as(dispatcher)
    assert (
        client.post_json("/api/v1/worktools/duties", {"kind": "grid", "region_code": township}).status_code
        == 201
    )
    assert (
        client.post_json("/api/v1/worktools/duties", {"kind": "place", "region_code": township}).status_code
        == 201
    )
    outside = client.post_json(
        "/api/v1/worktools/duties", {"kind": "grid", "region_code": org.regions["township_b"].code}
    )
    assert outside.status_code == 422
    status = client.get("/api/v1/worktools/duties/status").json()
    by_code = {i["code"]: i["status"] for i in status["items"]}
    # New duties: the grid is due today, the place never inspected is missed.
    assert by_code[org.regions["grid_a"].code] == "due"
    assert by_code[registry_records["a"]["place"].code] == "missed"
    worker = org.user("a", "grid_worker")
    patrol, _ = patrol_actions.start_patrol(worker)
    patrol_actions.add_points(worker, patrol.pk, [patrol_actions.PointIn(0, 120.01, 30.01, timezone.now())])
    place = places["a"]
    patrol_actions.check_in(worker, place_code=place.code, lng=place.lng, lat=place.lat)
    by_code = {i.code: i.status for i in patrol_queries.duty_items(dispatcher)}
    assert by_code[org.regions["grid_a"].code] == "done"
    assert by_code[place.code] == "done"
    # Two days without a patrol: missed.
    later = timezone.localdate() + timedelta(days=2)
    assert {i.code: i.status for i in patrol_queries.duty_items(dispatcher, later)}[
        org.regions["grid_a"].code
    ] == "missed"
    # The township's duties reach its grid workers, for their own village only; not township B's.
    mine = {(i.duty.kind, i.code) for i in patrol_queries.duty_items(worker)}
    assert mine == {(DutyKind.GRID, org.regions["grid_a"].code), (DutyKind.PLACE, place.code)}
    assert patrol_queries.duty_items(org.user("b", "grid_worker")) == []


def test_a_patrol_left_running_ends_when_the_next_one_starts(org: Org) -> None:
    worker = org.user("a", "grid_worker")
    yesterday = timezone.now() - timedelta(days=1)
    old, _ = patrol_actions.start_patrol(worker, now=yesterday)
    patrol_actions.add_points(
        worker, old.pk, [patrol_actions.PointIn(0, 120.01, 30.01, yesterday)], now=yesterday
    )
    # Within the quiet time the running patrol is returned; past it, it ends at its last position.
    same, created = patrol_actions.start_patrol(worker, now=yesterday + timedelta(hours=1))
    assert same.pk == old.pk and not created
    new, created = patrol_actions.start_patrol(worker)
    assert created and new.pk != old.pk
    old.refresh_from_db()
    assert old.state == PatrolState.ENDED and old.ended_at == old.last_at
