"""What the portal accepts from a browser: JSON a browser can write, text a person can type."""

from __future__ import annotations

import json
import math
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
