"""Mainland mobile numbers: 11 digits; spaces, dashes and a +86/0086/86 prefix are accepted."""

from __future__ import annotations

import re
import unicodedata

from actions.entities.errors import MobileError

_MOBILE_RE = re.compile(r"1[3-9]\d{9}")
_PHONE_SEPARATORS_RE = re.compile(r"[\s\-()（）.·/]")


def parse_mobile(text: str) -> str:
    """Mainland mobile number as 11 digits; spaces, dashes and a +86/0086/86 prefix are accepted."""
    compact = _PHONE_SEPARATORS_RE.sub("", unicodedata.normalize("NFKC", text))
    runs = re.findall(r"\d+", compact)
    candidates: list[str] = []
    for run in runs:
        if len(run) == 13 and run.startswith("86"):
            run = run[2:]
        elif len(run) == 15 and run.startswith("0086"):
            run = run[4:]
        if len(run) == 11:
            candidates.append(run)
    mobiles = {candidate for candidate in candidates if _MOBILE_RE.fullmatch(candidate)}
    if len(mobiles) == 1:
        return mobiles.pop()
    if candidates and not mobiles:
        raise MobileError("mobile_invalid", text, "not a mainland mobile number")
    raise MobileError("mobile_format", text, "expected one 11-digit mobile number")
