"""Records to and from plain JSON-ready dicts (for the hub tables, batches, conflicts and the API)."""

from __future__ import annotations

import dataclasses
from datetime import datetime
from decimal import Decimal
from enum import Enum
from typing import Any, Final

from syncbridge.domain.records import (
    RECORD_TYPES,
    Address,
    Customer,
    EntityType,
    Order,
    OrderLine,
    OrderStatus,
    Payment,
    PaymentState,
    Product,
    ProductStatus,
    Record,
    StockLevel,
    Variant,
    utc,
)

_SCALARS: Final = frozenset({str, int, float, bool, type(None)})
_FIELD_NAMES: dict[type, tuple[str, ...]] = {}  # dataclass type -> its field names, learnt on first sight


def _plain(value: Any) -> Any:
    kind = type(value)
    if kind in _SCALARS:  # exact types: a StrEnum is not a str here
        return value
    names = _FIELD_NAMES.get(kind)
    if names is not None:
        return {name: _plain(getattr(value, name)) for name in names}
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime):
        return utc(value).isoformat()
    if isinstance(value, Enum):
        return value.value
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        _FIELD_NAMES[kind] = tuple(f.name for f in dataclasses.fields(value))
        return _plain(value)
    if isinstance(value, tuple | list):
        return [_plain(v) for v in value]
    return value


def to_dict(record: Record) -> dict[str, Any]:
    out: dict[str, Any] = _plain(record)
    return out


def _dec(value: Any) -> Decimal:
    return Decimal(str(value))


def _opt_dec(value: Any) -> Decimal | None:
    return None if value is None or value == "" else Decimal(str(value))


def _dt(value: Any) -> datetime | None:
    return None if value in (None, "") else utc(datetime.fromisoformat(str(value)))


def _address(data: dict[str, Any] | None) -> Address:
    return Address(**{k: str(v) for k, v in (data or {}).items() if k in Address.COMPARABLE})


def from_dict(entity: EntityType | str, data: dict[str, Any]) -> Record:
    entity = EntityType(entity)
    common: dict[str, Any] = {
        "external_id": data.get("external_id"),
        "hub_id": data.get("hub_id"),
        "modified_at": _dt(data.get("modified_at")),
    }
    if entity is EntityType.CUSTOMERS:
        return Customer(
            email=data["email"],
            name=data["name"],
            phone=data.get("phone", ""),
            billing=_address(data.get("billing")),
            shipping=_address(data.get("shipping")),
            active=bool(data.get("active", True)),
            **common,
        )
    if entity is EntityType.PRODUCTS:
        return Product(
            sku=data["sku"],
            name=data["name"],
            regular_price=_dec(data["regular_price"]),
            sale_price=_opt_dec(data.get("sale_price")),
            manage_stock=bool(data.get("manage_stock", True)),
            status=ProductStatus(data.get("status", "active")),
            variants=tuple(
                Variant(
                    sku=v["sku"],
                    name=v.get("name", ""),
                    regular_price=_dec(v["regular_price"]),
                    sale_price=_opt_dec(v.get("sale_price")),
                    manage_stock=bool(v.get("manage_stock", True)),
                    status=ProductStatus(v.get("status", "active")),
                    external_id=v.get("external_id"),
                )
                for v in data.get("variants", ())
            ),
            **common,
        )
    if entity is EntityType.INVENTORY:
        return StockLevel(
            sku=data["sku"],
            quantity=_dec(data["quantity"]),
            location=data.get("location", "default"),
            **common,
        )
    if entity is EntityType.ORDERS:
        created = _dt(data["created_at"])
        assert created is not None
        return Order(
            number=str(data["number"]),
            status=OrderStatus(data["status"]),
            currency=data["currency"],
            customer_email=data.get("customer_email", ""),
            lines=tuple(
                OrderLine(
                    sku=line["sku"],
                    quantity=_dec(line["quantity"]),
                    unit_price=_dec(line["unit_price"]),
                    name=line.get("name", ""),
                )
                for line in data.get("lines", ())
            ),
            total=_dec(data["total"]),
            created_at=created,
            payment_method=data.get("payment_method", ""),
            **common,
        )
    if entity is EntityType.PAYMENTS:
        return Payment(
            reference=data["reference"],
            order_number=str(data["order_number"]),
            amount=_dec(data["amount"]),
            currency=data["currency"],
            method=data.get("method", ""),
            state=PaymentState(data["state"]),
            transaction_id=data.get("transaction_id", ""),
            paid_at=_dt(data.get("paid_at")),
            **common,
        )
    raise ValueError(f"unknown entity {entity}")  # pragma: no cover


def with_ids(record: Record, *, external_id: str | None = None, hub_id: str | None = None) -> Record:
    changes: dict[str, Any] = {}
    if external_id is not None:
        changes["external_id"] = external_id
    if hub_id is not None:
        changes["hub_id"] = hub_id
    return dataclasses.replace(record, **changes)


__all__ = ["RECORD_TYPES", "from_dict", "to_dict", "with_ids"]
