"""Personal data in public text: ID numbers and phone numbers are masked before anyone else sees it."""

from __future__ import annotations

import re

from jiceng.core.validators import mask_id_number, mask_phone

# An 18- or 15-character ID number, an 11-digit mobile (optionally split by spaces or dashes, with +86),
# a landline with area code. Digits around must not continue the number.
_ID_RE = re.compile(r"(?<![0-9A-Za-z])(\d{17}[\dXx]|\d{15})(?![0-9A-Za-z])")
_MOBILE_RE = re.compile(r"(?<!\d)(?:\+?86[\s-]?)?(1[3-9]\d[\s-]?\d{4}[\s-]?\d{4})(?!\d)")
_LANDLINE_RE = re.compile(r"(?<!\d)(0\d{2,3}-\d{7,8})(?!\d)")


def mask_personal_data(text: str) -> str:
    """``text`` with every ID number and phone number in it masked (330102********1234, 138****1234)."""
    if not text:
        return ""
    text = _ID_RE.sub(lambda m: mask_id_number(m.group(1)), text)
    text = _MOBILE_RE.sub(lambda m: mask_phone(re.sub(r"[\s-]", "", m.group(1))), text)
    return _LANDLINE_RE.sub(lambda m: mask_phone(m.group(1)), text)
