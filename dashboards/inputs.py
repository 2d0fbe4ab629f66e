"""What the portal accepts from a browser: JSON a browser can write, text a person can type."""

from __future__ import annotations

import json
import math
import re
from typing import Any

from django.core.exceptions import ValidationError

# JSON.stringify writes integers up to 1e21 in digits, larger ones with an exponent.
MAX_INT_DIGITS = 22


class _NotBrowserJson(ValueError):
    pass


def _refuse(text: str):
    raise _NotBrowserJson(text)


def _bounded_int(digits: str) -> int:
    if len(digits.lstrip("-")) > MAX_INT_DIGITS:
        raise _NotBrowserJson(digits)
    return int(digits)


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):  # `1e999`
        raise _NotBrowserJson(text)
    return value


def browser_json(raw: str | bytes) -> Any:
    """`raw` parsed, or ValueError when a browser could not have written it: NaN or
    Infinity, an integer longer than JavaScript prints, a lone surrogate (`"\\ud800"`,
    which parses but can be neither stored nor sent back), nesting too deep."""
    try:
        value = json.loads(raw, parse_constant=_refuse, parse_int=_bounded_int, parse_float=_finite_float)
        json.dumps(value, ensure_ascii=False).encode("utf-8")
    except (ValueError, UnicodeError, RecursionError) as error:
        raise ValueError("not JSON a browser writes") from error
    return value


def validate_plain_text(value: str) -> None:
    """Model field validator: no NUL character, no lone surrogate."""
    if "\x00" in value:
        raise ValidationError("must not contain a NUL character.", code="null_characters")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValidationError("is not valid text.", code="invalid_text") from None


PAGE_PATH_MAX = 300
# A Dash Pages path below the app's prefix: segments of URL-unreserved characters
# (RFC 3986), so a page path can only name a page of the same app, never a scheme,
# a host, a parent folder or a query.
_PAGE_SEGMENT = re.compile(r"[A-Za-z0-9._~-]+")


def validate_page_path(value: str) -> None:
    """Model field and URL validator for a page path of a Dash Pages app ("reports/q1";
    "" is the app's first page)."""
    if value == "":
        return
    if len(value) > PAGE_PATH_MAX:
        raise ValidationError(f"is longer than {PAGE_PATH_MAX} characters.", code="page_too_long")
    segments = value.split("/")
    if not all(_PAGE_SEGMENT.fullmatch(s) and s not in (".", "..") for s in segments):
        raise ValidationError(
            "is not a page address: letters, digits and - . _ ~ between single slashes.",
            code="bad_page_path",
        )
    # Dash's own routes (`_dash-layout`, `_dash-component-suites/...`) and the app's assets
    # are not pages.
    if segments[0].startswith("_") or segments[0] == "assets":
        raise ValidationError("names one of Dash's own routes, not a page.", code="dash_route")
