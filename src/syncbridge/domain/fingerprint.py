"""A stable 128-bit fingerprint of a record's comparable fields.

Equivalent values fingerprint alike: field order, ``Decimal`` scale (``1.50`` == ``1.5``), unicode normal form
(NFC), surrounding and repeated whitespace, e-mail case, and the order of order lines and variants (sorted by
SKU). Any real change to a comparable field changes the fingerprint.
"""

from __future__ import annotations

import dataclasses
import unicodedata
from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal
from enum import Enum
from typing import Any

import orjson
import xxhash

from syncbridge.domain.records import Record, utc

Canonical = None | bool | str | list["Canonical"] | dict[str, "Canonical"]


def normalize_text(value: str) -> str:
    # str.split() without arguments splits on runs of any (unicode) whitespace and drops the ends.
    if value.isascii():
        return " ".join(value.split())
    return " ".join(unicodedata.normalize("NFC", value).split())


def normalize_decimal(value: Decimal) -> str:
    if not value.is_finite():
        return str(value)
    text = format(value.normalize(), "f")
    return "0" if text in {"-0", "0"} else text


def canonical(value: Any) -> Canonical:
    """A JSON-ready, normalized form of a comparable value."""
    if type(value) is str:  # the common case first
        return normalize_text(value)
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, Enum):
        return str(value.value)
    if isinstance(value, str):
        return normalize_text(value)
    if isinstance(value, Decimal):
        return "d:" + normalize_decimal(value)
    if isinstance(value, int | float):
        return "d:" + normalize_decimal(Decimal(str(value)))
    if isinstance(value, datetime):
        return "t:" + utc(value).replace(microsecond=0).isoformat()
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return comparable_fields(value)
    if isinstance(value, Mapping):
        return {str(k): canonical(v) for k, v in value.items()}
    if isinstance(value, tuple | list):
        items = [canonical(v) for v in value]
        # Lines and variants are sets keyed by SKU: their order in a payload carries no meaning.
        return sorted(items, key=lambda item: orjson.dumps(item, option=orjson.OPT_SORT_KEYS))
    raise TypeError(f"cannot fingerprint a {type(value).__name__}")


def comparable_fields(record: Any) -> dict[str, Canonical]:
    fields: tuple[str, ...] = type(record).COMPARABLE
    date_only: frozenset[str] = getattr(type(record), "DATE_ONLY", frozenset())
    out = {name: canonical(getattr(record, name)) for name in fields}
    for name in date_only:
        value = getattr(record, name)
        if isinstance(value, datetime):
            out[name] = "t:" + utc(value).date().isoformat()
    if getattr(record, "variants", None) and "regular_price" in out:
        # A variable product's prices live on its variants: WooCommerce keeps none on the parent.
        out["regular_price"] = None
    if "email" in out and isinstance(out["email"], str):
        out["email"] = out["email"].lower()
    if "customer_email" in out and isinstance(out["customer_email"], str):
        out["customer_email"] = out["customer_email"].lower()
    return out


def fingerprint_of(record: Record | Mapping[str, Any]) -> str:
    """32 hex digits (xxh3-128) of the canonical comparable fields; a mapping is fingerprinted as given."""
    data = canonical(record) if isinstance(record, Mapping) else comparable_fields(record)
    return xxhash.xxh3_128_hexdigest(orjson.dumps(data, option=orjson.OPT_SORT_KEYS))


def diff_fields(old: Record, new: Record) -> dict[str, tuple[Canonical, Canonical]]:
    """The comparable fields that differ, as ``{field: (old, new)}`` in canonical form."""
    before, after = comparable_fields(old), comparable_fields(new)
    return {name: (before[name], after[name]) for name in before if before[name] != after[name]}
