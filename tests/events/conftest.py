from __future__ import annotations

import pytest

from jiceng.events.models import EventCategory, Platform
from jiceng.org.models import UnitKind


@pytest.fixture
def categories(db: None) -> dict[str, EventCategory]:
    city = EventCategory.objects.create(
        code="03", name="市容环境", platform=Platform.LAW_ENFORCEMENT, standard="CJ/T 214"
    )
    dispute = EventCategory.objects.create(
        code="D01", name="婚姻家庭纠纷", platform=Platform.SOCIAL_GOVERNANCE, standard="GB/T 31000-2015"
    )
    return {
        "city": city,
        "garbage": EventCategory.objects.create(
            code="0301",
            name="暴露垃圾",
            parent=city,
            platform=Platform.LAW_ENFORCEMENT,
            handler_kind=UnitKind.DISPATCHED_AGENCY,
            handle_days=3,
        ),
        "dispute": dispute,
        "family": EventCategory.objects.create(
            code="D0101",
            name="家庭纠纷",
            parent=dispute,
            platform=Platform.SOCIAL_GOVERNANCE,
            handle_days=5,
            on_spot_needs_confirmation=False,
            form_schema={
                "type": "object",
                "properties": {"parties": {"type": "integer", "minimum": 2}},
                "required": ["parties"],
            },
        ),
    }


IN_GRID_A = {"lng": 120.01, "lat": 30.01}
IN_GRID_B = {"lng": 120.11, "lat": 30.01}
