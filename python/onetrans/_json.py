"""JSON with exact numbers: decimals read as :class:`decimal.Decimal` and written as their text,
so ``12.50`` stays ``12.50`` both ways; non-ASCII written as it is (UTF-8 on the wire)."""

from __future__ import annotations

import decimal
import json
import math
from typing import Any


class NumberText(str):
    """A JSON number kept as its source text (the low-level call passes numbers through)."""


def loads(text: str) -> Any:
    """Parses JSON; decimals become :class:`decimal.Decimal`, integers :class:`int`."""
    return json.loads(text, parse_float=decimal.Decimal)


def loads_verbatim(text: str) -> Any:
    """Parses JSON keeping every number's source text (:class:`NumberText`)."""
    return json.loads(text, parse_float=NumberText, parse_int=NumberText)


def dumps(value: Any) -> str:
    """Compact JSON. :class:`decimal.Decimal` is written as its text (``Decimal("12.50")`` as
    ``12.50``); mappings keep their order; strings are not ``\\u``-escaped.

    Raises:
        ValueError: for NaN or infinity (not JSON), or a type JSON has no form for.
    """
    parts: list = []
    _write(value, parts)
    return "".join(parts)


def _write(value: Any, out: list) -> None:
    if isinstance(value, NumberText):
        out.append(str.__str__(value))
    elif isinstance(value, str):
        out.append(json.dumps(value, ensure_ascii=False))
    elif value is None or isinstance(value, bool):
        out.append({None: "null", True: "true", False: "false"}[value])
    elif isinstance(value, int):
        out.append(int.__repr__(value))
    elif isinstance(value, decimal.Decimal):
        if not value.is_finite():
            raise ValueError(f"{value} 不是 JSON 数字 (not a JSON number)")
        out.append(str(value))
    elif isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"{value} 不是 JSON 数字 (not a JSON number)")
        out.append(float.__repr__(value))
    elif isinstance(value, dict) or hasattr(value, "keys"):
        out.append("{")
        for i, key in enumerate(value.keys()):
            if not isinstance(key, str):
                raise ValueError(f"JSON 对象的键必须是字符串 (object keys must be str): {key!r}")
            if i:
                out.append(",")
            out.append(json.dumps(key, ensure_ascii=False))
            out.append(":")
            _write(value[key], out)
        out.append("}")
    elif isinstance(value, (list, tuple)):
        out.append("[")
        for i, item in enumerate(value):
            if i:
                out.append(",")
            _write(item, out)
        out.append("]")
    else:
        raise ValueError(f"无法写成 JSON 的类型 (no JSON form for) {type(value).__name__}")
