"""{% icon %} inlines a vendored Bootstrap Icons SVG; an icon that was not copied is a clear error."""

from __future__ import annotations

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.template import Context, Template


def test_an_icon_is_inlined_in_the_text_colour_and_hidden_from_screen_readers() -> None:
    html = Template('{% load icons %}<a>{% icon "camera" %}报料</a>').render(Context())
    assert html.startswith('<a><svg class="icon-svg" viewBox="0 0 16 16" width="1em" height="1em"')
    assert 'fill="currentColor" aria-hidden="true" focusable="false"><path d="M15 12a1' in html
    assert html.endswith("</svg>报料</a>") and "xmlns" not in html and "bi-camera" not in html


@pytest.mark.parametrize("name", ["alarm-fill", "../../settings", ""])
def test_an_icon_not_copied_says_how_to_add_it(name: str) -> None:
    with pytest.raises(ImproperlyConfigured, match=r"scripts/copy_assets\.py"):
        Template(f'{{% load icons %}}{{% icon "{name}" %}}').render(Context())
