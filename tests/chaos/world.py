"""The chaos suite's data: two shops' worth of disjoint seed data, and the edits made on each side between rounds."""

from __future__ import annotations

import dataclasses
import random
from decimal import Decimal
from typing import TYPE_CHECKING

from syncbridge.sim.seed import SeedData, generate

if TYPE_CHECKING:
    from syncbridge.sim.odoo import OdooSim
    from syncbridge.sim.woocommerce import WooCommerceSim


def rekeyed(data: SeedData, tag: str) -> SeedData:
    """The same data under other natural keys (SKUs, e-mails, order numbers), so two shops' data are disjoint."""

    def sku(value: str) -> str:
        return f"{tag}-{value}"

    def email(value: str) -> str:
        return f"{tag.lower()}.{value}"

    def number(value: str) -> str:
        return f"{tag}{value}"

    return SeedData(
        customers=[dataclasses.replace(c, email=email(c.email)) for c in data.customers],
        products=[
            dataclasses.replace(
                p, sku=sku(p.sku), variants=tuple(dataclasses.replace(v, sku=sku(v.sku)) for v in p.variants)
            )
            for p in data.products
        ],
        stock=[dataclasses.replace(s, sku=sku(s.sku)) for s in data.stock],
        orders=[
            dataclasses.replace(
                o,
                number=number(o.number),
                customer_email=email(o.customer_email) if o.customer_email else "",
                lines=tuple(dataclasses.replace(ln, sku=sku(ln.sku)) for ln in o.lines),
            )
            for o in data.orders
        ],
        payments=[
            dataclasses.replace(p, reference=number(p.reference), order_number=number(p.order_number))
            for p in data.payments
        ],
    )


def shop_data(items: int, tag: str, seed: int) -> SeedData:
    """About ``items`` records (customers, products with their stock, orders and payments) under ``tag``."""
    customers = max(4, items * 4 // 10)
    products = max(2, items * 3 // 20)
    orders = max(2, items * 3 // 20)
    return rekeyed(generate(customers=customers, products=products, orders=orders, seed=seed), tag)


@dataclasses.dataclass(frozen=True)
class Edits:
    customers: int
    products: int


def edit_woocommerce(sim: WooCommerceSim, rng: random.Random, count: int, round_no: int) -> Edits:
    """Rename customers and reprice simple products, through the simulator's own write path."""
    from syncbridge.sim.woocommerce import customers, products

    store = sim.store
    with store.lock:
        people = [c for c in store.customers.values() if c.first_name]
        simple = [p for p in store.products.values() if p.type == "simple" and p.status != "trash"]
        picked_c = rng.sample(people, k=min(count, len(people)))
        picked_p = rng.sample(simple, k=min(count, len(simple)))
        for c in picked_c:
            customers.update_customer(store, c, {"first_name": f"{c.first_name.split('~')[0]}~w{round_no}"})
        for p in picked_p:
            price = Decimal(p.regular_price or "1") + Decimal("1.25")
            products.update_product(store, p, {"regular_price": str(price)})
    return Edits(len(picked_c), len(picked_p))


def edit_odoo(sim: OdooSim, rng: random.Random, count: int, round_no: int) -> Edits:
    """Rename customers and reprice products through the simulator's ``execute_kw`` (as a user of Odoo would)."""
    partners = sim.call(
        "res.partner", "search_read", [("parent_id", "=", False), ("email", "!=", False)], fields=["name"]
    )
    templates = [
        row
        for row in sim.call("product.template", "search_read", [], fields=["list_price", "product_variant_ids"])
        if len(row["product_variant_ids"]) == 1
    ]
    picked_c = rng.sample(partners, k=min(count, len(partners)))
    picked_p = rng.sample(templates, k=min(count, len(templates)))
    for row in picked_c:
        sim.call("res.partner", "write", [row["id"]], {"name": f"{str(row['name']).split('~')[0]}~o{round_no}"})
    for row in picked_p:
        sim.call("product.template", "write", [row["id"]], {"list_price": float(row["list_price"]) + 2.5})
    return Edits(len(picked_c), len(picked_p))
