"""Opening an action's address in a browser (a reload, a bookmark, the address bar after a form) gets the
platform's own error page in Chinese, not the browser's empty "HTTP ERROR 405"; machine endpoints keep
Django's bare 405."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.conftest import Org
from tests.registry.conftest import registry_records  # noqa: F401  (a fixture)

BROWSER = {"HTTP_ACCEPT": "text/html,application/xhtml+xml,*/*;q=0.8", "HTTP_ACCEPT_LANGUAGE": "zh-hans"}


@pytest.mark.parametrize(
    ("who", "path"),
    [
        (("a", "dispatcher"), "/events/1/act/accept/"),
        (("county", "admin"), "/accounts/users/a_grid_worker/unlock/"),
        (("county", "admin"), "/analytics/scorecards/compute/"),
    ],
)
def test_get_on_a_post_only_page_shows_the_error_page(org: Org, page_as: Any, who: Any, path: str) -> None:
    if "unlock" in path:
        target = org.user("a", "grid_worker")
        target.locked_until = timezone.now() + timedelta(minutes=5)
        target.save(update_fields=["locked_until"])
    response = page_as(org.user(*who)).get(path, **BROWSER)
    assert response.status_code == 405 and "POST" in response["Allow"]
    html = response.content.decode()
    assert "<h1>405</h1>" in html and "不能直接打开" in html and 'href="/"' in html


def test_machine_clients_keep_the_bare_405(org: Org, page_as: Any) -> None:
    bare = page_as(org.user("county", "admin")).get("/analytics/scorecards/compute/", HTTP_ACCEPT="*/*")
    assert bare.status_code == 405 and bare.content == b""


def test_the_reveal_address_opened_again_goes_back_to_the_masked_record(
    org: Org,
    page_as: Any,
    registry_records: Any,  # noqa: F811
) -> None:
    person = registry_records["a"]["person"]
    client = page_as(org.user("a", "dispatcher"))
    reveal = reverse("registry:reveal", kwargs={"kind": "person", "key": person.pk})
    response = client.get(reveal, **BROWSER)
    assert response.status_code == 302
    assert response["Location"] == reverse("registry:detail", kwargs={"kind": "person", "key": person.pk})
