"""Mainland China phone numbers (no Django): a mobile number or a landline with its area code."""

import re
import unicodedata

# Mobile: 11 digits starting 13–19. Landline: area code 0 + 2–3 digits, then 7–8 digits,
# an optional extension (023-6788 1234, 02367881234, 010-12345678-801).
_MOBILE = re.compile(r"1[3-9]\d{9}")
_LANDLINE = re.compile(r"0\d{2,3}-?\d{7,8}(-\d{1,6})?")


def normalise(raw: str) -> str:
    """Full-width to half-width, spaces and a leading +86 dropped."""
    text = unicodedata.normalize("NFKC", raw or "").strip()
    text = re.sub(r"[\s()（）]", "", text).replace("—", "-").replace("－", "-")
    if text.startswith("+86"):
        text = text[3:].lstrip("-")
    elif text.startswith("0086"):
        text = text[4:].lstrip("-")
    return text


def is_valid(raw: str) -> bool:
    text = normalise(raw)
    return bool(_MOBILE.fullmatch(text) or _LANDLINE.fullmatch(text))
