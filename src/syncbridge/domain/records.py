"""Canonical records: the one shape every system's data is translated into.

Records are frozen and typed. Each record type declares:

* ``ENTITY``      the entity type it belongs to;
* ``COMPARABLE``  the fields that decide "updated" (they feed the fingerprint);
* ``IDENTITY``    the fields that say *which* record it is in some system (never compared);
* ``natural_key`` the business key used to find a record without a link (SKU, email, order number).

Money and quantities are ``Decimal``; datetimes are timezone-aware UTC. Strings that are absent on the other
side are ``""``, never ``None``, so that ``""`` and "missing" fingerprint alike.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from enum import StrEnum
from typing import ClassVar


class EntityType(StrEnum):
    CUSTOMERS = "customers"
    PRODUCTS = "products"
    ORDERS = "orders"
    INVENTORY = "inventory"
    PAYMENTS = "payments"


# Dependencies first: an order needs its customer and products, a payment its order. Stock goes last: creating
# an order in a shop reduces its stock (WooCommerce does), so levels are read and set after the orders moved.
ENTITY_ORDER: tuple[EntityType, ...] = (
    EntityType.CUSTOMERS,
    EntityType.PRODUCTS,
    EntityType.ORDERS,
    EntityType.PAYMENTS,
    EntityType.INVENTORY,
)


class System(StrEnum):
    HUB = "hub"
    WOOCOMMERCE = "woocommerce"
    ODOO = "odoo"


EXTERNAL_SYSTEMS: tuple[System, ...] = (System.WOOCOMMERCE, System.ODOO)


class ProductStatus(StrEnum):
    ACTIVE = "active"  # WooCommerce publish / Odoo active
    DRAFT = "draft"  # WooCommerce draft, pending, private / Odoo: sale_ok False
    ARCHIVED = "archived"  # WooCommerce trash / Odoo active False


class OrderStatus(StrEnum):
    PENDING = "pending"  # WC pending, on-hold, failed / Odoo draft, sent
    PROCESSING = "processing"  # WC processing / Odoo sale (not locked)
    COMPLETED = "completed"  # WC completed / Odoo sale, locked
    CANCELLED = "cancelled"  # WC cancelled, refunded, trash / Odoo cancel


class PaymentState(StrEnum):
    PENDING = "pending"  # Odoo draft, in_process
    PAID = "paid"  # WC date_paid set / Odoo paid (posted in 16/17)
    FAILED = "failed"  # Odoo rejected
    CANCELLED = "cancelled"  # Odoo canceled
    REFUNDED = "refunded"  # a WC refund / Odoo outbound payment


def utc(value: datetime) -> datetime:
    """A datetime in UTC; a naive one is taken to be UTC already (as Odoo and WooCommerce ``_gmt`` send)."""
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


@dataclass(frozen=True, slots=True)
class Address:
    COMPARABLE: ClassVar[tuple[str, ...]] = (
        "company",
        "street",
        "street2",
        "city",
        "state",
        "postcode",
        "country",
    )

    company: str = ""
    street: str = ""
    street2: str = ""
    city: str = ""
    state: str = ""  # ISO 3166-2 subdivision code without the country, e.g. "CA"
    postcode: str = ""
    country: str = ""  # ISO 3166-1 alpha-2, e.g. "US"


@dataclass(frozen=True, slots=True)
class Customer:
    ENTITY: ClassVar[EntityType] = EntityType.CUSTOMERS
    COMPARABLE: ClassVar[tuple[str, ...]] = ("email", "name", "phone", "billing", "shipping", "active")
    IDENTITY: ClassVar[tuple[str, ...]] = ("external_id", "hub_id")

    email: str  # lower-cased; the natural key
    name: str  # full name; WooCommerce first/last are joined with one space
    phone: str = ""
    billing: Address = field(default_factory=Address)
    shipping: Address = field(default_factory=Address)
    active: bool = True
    external_id: str | None = None
    hub_id: str | None = None
    modified_at: datetime | None = None

    @property
    def natural_key(self) -> str:
        return self.email.strip().lower()


@dataclass(frozen=True, slots=True)
class Variant:
    COMPARABLE: ClassVar[tuple[str, ...]] = (
        "sku",
        "name",
        "regular_price",
        "sale_price",
        "manage_stock",
        "status",
    )

    sku: str
    name: str  # the attribute values, e.g. "Size: M"
    regular_price: Decimal
    sale_price: Decimal | None = None
    manage_stock: bool = True
    status: ProductStatus = ProductStatus.ACTIVE
    external_id: str | None = None


@dataclass(frozen=True, slots=True)
class Product:
    ENTITY: ClassVar[EntityType] = EntityType.PRODUCTS
    COMPARABLE: ClassVar[tuple[str, ...]] = (
        "sku",
        "name",
        "regular_price",
        "manage_stock",
        "status",
        "variants",
    )
    IDENTITY: ClassVar[tuple[str, ...]] = ("external_id", "hub_id")

    sku: str  # the natural key
    name: str
    regular_price: Decimal
    sale_price: Decimal | None = None
    manage_stock: bool = True
    status: ProductStatus = ProductStatus.ACTIVE
    variants: tuple[Variant, ...] = ()  # sorted by SKU
    external_id: str | None = None
    hub_id: str | None = None
    modified_at: datetime | None = None

    @property
    def natural_key(self) -> str:
        return self.sku.strip()


@dataclass(frozen=True, slots=True)
class StockLevel:
    ENTITY: ClassVar[EntityType] = EntityType.INVENTORY
    COMPARABLE: ClassVar[tuple[str, ...]] = ("sku", "location", "quantity")
    IDENTITY: ClassVar[tuple[str, ...]] = ("external_id", "hub_id")

    sku: str  # of a simple product or of a variant
    quantity: Decimal
    location: str = "default"
    external_id: str | None = None
    hub_id: str | None = None
    modified_at: datetime | None = None

    @property
    def natural_key(self) -> str:
        return f"{self.sku.strip()}@{self.location}"


@dataclass(frozen=True, slots=True)
class OrderLine:
    # The name is display text each system derives from the product ("Mug - M" / "Mug - Size: M"): not compared.
    COMPARABLE: ClassVar[tuple[str, ...]] = ("sku", "quantity", "unit_price")

    sku: str
    quantity: Decimal
    unit_price: Decimal
    name: str = ""

    @property
    def total(self) -> Decimal:
        return self.quantity * self.unit_price


@dataclass(frozen=True, slots=True)
class Order:
    ENTITY: ClassVar[EntityType] = EntityType.ORDERS
    COMPARABLE: ClassVar[tuple[str, ...]] = (
        "number",
        "status",
        "currency",
        "customer_email",
        "lines",
        "total",
        "created_at",
    )
    IDENTITY: ClassVar[tuple[str, ...]] = ("external_id", "hub_id")

    number: str  # the shop's order number; the natural key
    status: OrderStatus
    currency: str  # ISO 4217
    customer_email: str  # "" for a guest order
    lines: tuple[OrderLine, ...]
    total: Decimal
    created_at: datetime
    payment_method: str = ""
    external_id: str | None = None
    hub_id: str | None = None
    modified_at: datetime | None = None

    @property
    def natural_key(self) -> str:
        return self.number.strip()


@dataclass(frozen=True, slots=True)
class Payment:
    ENTITY: ClassVar[EntityType] = EntityType.PAYMENTS
    COMPARABLE: ClassVar[tuple[str, ...]] = (
        "reference",
        "order_number",
        "amount",
        "currency",
        "method",
        "transaction_id",
        "state",
        "paid_at",
    )
    IDENTITY: ClassVar[tuple[str, ...]] = ("external_id", "hub_id")
    # Odoo keeps a payment's date as a date: the time of day cannot round-trip, so it is compared by day.
    DATE_ONLY: ClassVar[frozenset[str]] = frozenset({"paid_at"})

    # The natural key: "<order number>" for the order's payment, "<order number>/R<id>" for a refund.
    reference: str
    order_number: str
    amount: Decimal  # positive; a refund has state REFUNDED
    currency: str
    method: str
    state: PaymentState
    transaction_id: str = ""
    paid_at: datetime | None = None
    external_id: str | None = None
    hub_id: str | None = None
    modified_at: datetime | None = None

    @property
    def natural_key(self) -> str:
        return self.reference.strip()


Record = Customer | Product | StockLevel | Order | Payment

RECORD_TYPES: dict[
    EntityType, type[Customer] | type[Product] | type[StockLevel] | type[Order] | type[Payment]
] = {
    EntityType.CUSTOMERS: Customer,
    EntityType.PRODUCTS: Product,
    EntityType.INVENTORY: StockLevel,
    EntityType.ORDERS: Order,
    EntityType.PAYMENTS: Payment,
}
