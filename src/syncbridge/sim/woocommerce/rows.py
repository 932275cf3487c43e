"""The simulator's stored rows: only the fields that vary, so 100k products fit in memory comfortably.

Everything a real response carries beyond these (``_links``, ``price_html``, constant defaults) is rendered
from a row on the way out (``render.py``). Dates are epoch seconds (UTC); the shop's timezone is UTC, so the
local and ``_gmt`` dates are equal, as in the recorded WooCommerce 10 transcripts.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

Json = dict[str, Any]

ADDRESS_KEYS = (
    "first_name",
    "last_name",
    "company",
    "address_1",
    "address_2",
    "city",
    "state",
    "postcode",
    "country",
)


def blank_billing() -> Json:
    return {**dict.fromkeys(ADDRESS_KEYS, ""), "email": "", "phone": ""}


def blank_shipping() -> Json:
    return {**dict.fromkeys(ADDRESS_KEYS, ""), "phone": ""}


@dataclass(slots=True)
class ProductRow:
    """A product or (``type == "variation"``) a variation, which shares the products' id space."""

    id: int
    type: str
    name: str
    sku: str
    status: str
    created: int
    modified: int
    parent_id: int = 0
    regular_price: str = ""
    sale_price: str = ""
    manage_stock: bool = False
    stock_quantity: int | None = None
    description: str = ""
    short_description: str = ""
    slug: str = ""
    attributes: list[Json] = field(default_factory=list)
    variation_ids: list[int] = field(default_factory=list)
    meta_data: list[Json] = field(default_factory=list)
    total_sales: int = 0
    trashed_from: str = ""


@dataclass(slots=True)
class CustomerRow:
    id: int
    email: str
    username: str
    created: int
    modified: int
    first_name: str = ""
    last_name: str = ""
    billing: Json = field(default_factory=blank_billing)
    shipping: Json = field(default_factory=blank_shipping)
    meta_data: list[Json] = field(default_factory=list)
    is_paying_customer: bool = False


@dataclass(slots=True)
class LineRow:
    id: int
    name: str
    product_id: int
    variation_id: int
    quantity: int
    subtotal: str
    total: str
    sku: str
    parent_name: str | None = None
    meta_data: list[Json] = field(default_factory=list)


@dataclass(slots=True)
class FeeRow:
    id: int
    name: str
    total: str


@dataclass(slots=True)
class OrderRow:
    id: int
    status: str
    currency: str
    created: int
    modified: int
    order_key: str
    customer_id: int = 0
    billing: Json = field(default_factory=blank_billing)
    shipping: Json = field(default_factory=blank_shipping)
    payment_method: str = ""
    payment_method_title: str = ""
    transaction_id: str = ""
    customer_note: str = ""
    date_paid: int | None = None
    date_completed: int | None = None
    line_items: list[LineRow] = field(default_factory=list)
    fee_lines: list[FeeRow] = field(default_factory=list)
    refund_ids: list[int] = field(default_factory=list)
    meta_data: list[Json] = field(default_factory=list)
    trashed_from: str = ""


@dataclass(slots=True)
class RefundRow:
    id: int
    order_id: int
    amount: str
    reason: str
    created: int
    refunded_payment: bool = False


@dataclass(slots=True)
class NoteRow:
    id: int
    order_id: int
    note: str
    created: int
    customer_note: bool = False
    author: str = "WooCommerce"


@dataclass(slots=True)
class WebhookRow:
    id: int
    name: str
    status: str
    topic: str
    delivery_url: str
    secret: str
    created: int
    modified: int
    failure_count: int = 0
    pending_delivery: bool = True
