"""Generic resource tests in the spirit of NetBox's APIViewTestCases.

A module declares one subclass of ``ResourceTests`` with a few hooks and gets, for its API and pages:
list and detail as an insider; 404 for an outsider (another township) exactly like a missing record;
401 / login redirect for anonymous; create and update by an administrator; 403 for a non-admin;
a write outside the jurisdiction refused with 404; and a stale version answered with 409.
"""

from __future__ import annotations

from typing import Any, ClassVar

from django.db import models

from jiceng.audit.models import AuditEntry
from tests.conftest import Org


class ResourceTests:
    api_list: ClassVar[str]  # e.g. "/api/v1/regions"
    page_list: ClassVar[str | None] = None  # e.g. "/org/regions/"
    model: ClassVar[type[models.Model]]
    key_field: ClassVar[str] = "code"  # what the URLs and list items use
    audit_action_prefix: ClassVar[str]  # e.g. "region."
    reader_roles: ClassVar[tuple[str, ...]] = ("dispatcher",)  # township roles that may read

    # --- hooks ------------------------------------------------------------------------------------
    def inside(self, org: Org) -> models.Model:
        """A record in township A."""
        raise NotImplementedError

    def outside(self, org: Org) -> models.Model:
        """A record in township B."""
        raise NotImplementedError

    def create_payload(self, org: Org, where: str) -> dict[str, Any]:
        """A valid payload for a new record in township ``where``."""
        raise NotImplementedError

    def update_payload(self, obj: models.Model) -> dict[str, Any]:
        raise NotImplementedError

    # --- helpers ----------------------------------------------------------------------------------
    def key(self, obj: models.Model) -> str:
        return str(getattr(obj, self.key_field))

    def api_detail(self, obj_or_key: models.Model | str) -> str:
        key = obj_or_key if isinstance(obj_or_key, str) else self.key(obj_or_key)
        return f"{self.api_list}/{key}"

    def page_detail(self, obj: models.Model) -> str:
        return f"{self.page_list}{self.key(obj)}/"

    def list_keys(self, response: Any) -> set[str]:
        assert response.status_code == 200, response.content
        return {str(item[self.key_field]) for item in response.json()["items"]}

    # --- reading ----------------------------------------------------------------------------------
    def test_list_shows_only_own_jurisdiction(self, org: Org, api_as: Any) -> None:
        inside, outside = self.inside(org), self.outside(org)
        for role in self.reader_roles:
            keys = self.list_keys(api_as(org.user("a", role)).get(self.api_list, {"limit": 1000}))
            assert self.key(inside) in keys
            assert self.key(outside) not in keys
        county_keys = self.list_keys(api_as(org.user("county", "admin")).get(self.api_list, {"limit": 1000}))
        assert {self.key(inside), self.key(outside)} <= county_keys

    def test_detail_insider_ok_outsider_404_like_missing(self, org: Org, api_as: Any) -> None:
        inside, outside = self.inside(org), self.outside(org)
        client = api_as(org.user("a", self.reader_roles[0]))
        ok = client.get(self.api_detail(inside))
        assert ok.status_code == 200
        assert str(ok.json()[self.key_field]) == self.key(inside)
        foreign = client.get(self.api_detail(outside))
        missing = client.get(self.api_detail("does-not-exist-999"))
        assert foreign.status_code == missing.status_code == 404
        assert foreign.json() == missing.json()
        assert foreign.json()["code"] == "not_found"

    def test_anonymous_gets_401(self, org: Org, api_as: Any) -> None:
        anonymous = api_as(None)
        assert anonymous.get(self.api_list).status_code == 401
        response = anonymous.get(self.api_detail(self.inside(org)))
        assert response.status_code == 401
        assert response.json()["code"] == "not_authenticated"

    def test_pages_insider_ok_outsider_404(self, org: Org, page_as: Any) -> None:
        if not self.page_list:
            return
        inside, outside = self.inside(org), self.outside(org)
        client = page_as(org.user("a", "admin"))
        listing = client.get(self.page_list)
        assert listing.status_code == 200
        assert client.get(self.page_detail(inside)).status_code == 200
        assert client.get(self.page_detail(outside)).status_code == 404
        anonymous = page_as(None).get(self.page_detail(inside))
        assert anonymous.status_code == 302 and "/accounts/login/" in anonymous["Location"]

    # --- writing ----------------------------------------------------------------------------------
    def test_admin_creates_in_jurisdiction_with_audit(self, org: Org, api_as: Any) -> None:
        payload = self.create_payload(org, "a")
        response = api_as(org.user("a", "admin")).post_json(self.api_list, payload)
        assert response.status_code == 201, response.content
        key = str(response.json()[self.key_field])
        assert self.model._default_manager.filter(**{self.key_field: key}).exists()
        assert AuditEntry.objects.filter(action=f"{self.audit_action_prefix}create", result="ok").exists()

    def test_admin_cannot_create_in_other_township(self, org: Org, api_as: Any) -> None:
        before = self.model._default_manager.count()
        response = api_as(org.user("a", "admin")).post_json(self.api_list, self.create_payload(org, "b"))
        assert response.status_code == 404, response.content
        assert self.model._default_manager.count() == before

    def test_non_admin_cannot_create(self, org: Org, api_as: Any) -> None:
        before = self.model._default_manager.count()
        response = api_as(org.user("a", "dispatcher")).post_json(self.api_list, self.create_payload(org, "a"))
        assert response.status_code == 403
        assert response.json()["code"] == "permission_denied"
        assert self.model._default_manager.count() == before
        assert AuditEntry.objects.filter(action="permission.denied", result="denied").exists()

    def test_update_in_scope_then_stale_version_conflicts(self, org: Org, api_as: Any) -> None:
        obj = self.inside(org)
        client = api_as(org.user("a", "admin"))
        version = client.get(self.api_detail(obj)).json()["version"]
        first = client.patch_json(self.api_detail(obj), {**self.update_payload(obj), "version": version})
        assert first.status_code == 200, first.content
        assert first.json()["version"] == version + 1
        stale = client.patch_json(self.api_detail(obj), {**self.update_payload(obj), "version": version})
        assert stale.status_code == 409
        assert stale.json()["code"] == "conflict"

    def test_outsider_cannot_update(self, org: Org, api_as: Any) -> None:
        obj = self.outside(org)
        response = api_as(org.user("a", "admin")).patch_json(self.api_detail(obj), self.update_payload(obj))
        assert response.status_code == 404
        obj.refresh_from_db()
        assert obj.version == 1  # type: ignore[attr-defined]
