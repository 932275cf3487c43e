"""The demo's two systems: a shop and an ERP that have been run side by side, and have drifted apart.

Both hold most of the same catalog, customers and orders (as a real shop that has used both for a while), and
they disagree in the ways real ones do:

* stock levels and prices edited in Odoo      -> settled by field policy (Odoo is the source of truth for them);
* product names edited on both sides          -> DataMismatch conflicts (no policy decides names);
* customers only in Odoo, some with e-mails WooCommerce refuses -> new in the shop, or ValidationError conflicts;
* two Odoo contacts sharing one e-mail        -> a DuplicateKey conflict;
* orders and customers only in the shop       -> new in Odoo.
"""

from __future__ import annotations

import dataclasses
import random
from decimal import Decimal

from syncbridge.domain.records import Customer, Order, Payment, Product, StockLevel
from syncbridge.sim.seed import SeedData, generate


@dataclasses.dataclass(frozen=True)
class DemoData:
    woocommerce: SeedData
    odoo: SeedData
    expected: dict[str, int]  # what the data was built to produce, for the demo's narration


def demo_data(*, customers: int = 1500, products: int = 600, orders: int = 1500, seed: int = 7) -> DemoData:
    base = generate(customers=customers, products=products, orders=orders, seed=seed)
    rng = random.Random(seed)

    shop_customers = base.customers
    odoo_customers: list[Customer] = [c for c in base.customers if rng.random() < 0.9]
    odoo_only = generate(customers=max(10, customers // 20), products=0, orders=0, seed=seed + 1).customers
    odoo_only = [dataclasses.replace(c, email=c.email.replace("customer", "erp-contact")) for c in odoo_only]
    if len(odoo_only) >= 2:
        twin = odoo_only[0]
        odoo_only.append(dataclasses.replace(twin, name=twin.name + " (accounting)"))  # same e-mail twice
        odoo_only[1] = dataclasses.replace(odoo_only[1], email="erp-contact-at-example.com")  # the shop refuses it
    odoo_customers += odoo_only

    price_changed = 0
    renamed = 0
    odoo_products: list[Product] = []
    shop_products: list[Product] = []
    for i, p in enumerate(base.products):
        shop_p, odoo_p = p, p
        if i % 33 == 5 and not p.variants:
            odoo_p = dataclasses.replace(p, regular_price=(p.regular_price * Decimal("1.10")).quantize(Decimal("0.01")))
            price_changed += 1
        elif i % 50 == 7:
            shop_p = dataclasses.replace(p, name=p.name + " (web edition)")
            odoo_p = dataclasses.replace(p, name=p.name + " (ERP label)")
            renamed += 1
        shop_products.append(shop_p)
        odoo_products.append(odoo_p)

    stock_changed = 0
    odoo_stock: list[StockLevel] = []
    for s in base.stock:
        if rng.random() < 0.05:
            s = dataclasses.replace(s, quantity=s.quantity + rng.randint(1, 20))
            stock_changed += 1
        odoo_stock.append(s)

    in_odoo = {c.email.lower() for c in odoo_customers}
    odoo_numbers = {
        o.number for o in base.orders if rng.random() < 0.85 and (not o.customer_email or o.customer_email in in_odoo)
    }
    odoo_orders: list[Order] = [o for o in base.orders if o.number in odoo_numbers]
    odoo_payments: list[Payment] = [p for p in base.payments if p.order_number in odoo_numbers]

    shop = SeedData(customers=shop_customers, products=shop_products, stock=base.stock, orders=base.orders,
                    payments=base.payments)
    erp = SeedData(customers=odoo_customers, products=odoo_products, stock=odoo_stock, orders=odoo_orders,
                   payments=odoo_payments)
    expected = {
        "prices changed in Odoo": price_changed,
        "names changed on both sides": renamed,
        "stock changed in Odoo": stock_changed,
        "customers only in Odoo": len(odoo_only),
        "orders only in the shop": len(base.orders) - len(odoo_orders),
    }
    return DemoData(woocommerce=shop, odoo=erp, expected=expected)
