"""Seed data into the simulated Odoo as if created through its API (the same ``execute_kw`` path and checks).

Odoo accepts what WooCommerce refuses (invalid e-mails, shared e-mails, negative prices); a record it would
refuse (an unknown country or state code, an order line whose SKU no product has) is counted, never hidden.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from syncbridge.connectors.odoo import mapping
from syncbridge.domain.records import (
    Address,
    Customer,
    Order,
    OrderStatus,
    Payment,
    PaymentState,
    Product,
    ProductStatus,
)
from syncbridge.sim.odoo.exceptions import OdooError

if TYPE_CHECKING:
    from syncbridge.sim.odoo.app import OdooSim
    from syncbridge.sim.seed import SeedData


@dataclass
class LoadReport:
    loaded: int = 0
    refused: list[str] = field(default_factory=list)


class Refused(Exception):
    pass


class _Loader:
    def __init__(self, sim: OdooSim) -> None:
        self.sim = sim
        self.call = sim.call
        env = sim.env
        self.countries = {r["code"]: r["id"] for r in env["res.country"]}
        self.states = {(r["country_id"], r["code"]): r["id"] for r in env["res.country.state"]}
        self.currencies = {r["name"]: r["id"] for r in env["res.currency"]}
        self.location = next(r["lot_stock_id"] for r in env["stock.warehouse"])
        self.partners: dict[str, int] = {}
        self.products: dict[str, int] = {}
        self.orders: dict[str, tuple[int, int]] = {}
        self.journals: dict[str, int] = {
            r["name"].lower(): r["id"] for r in env["account.journal"] if r["type"] in {"bank", "cash"}
        }
        self.guest: int | None = None
        self.report = LoadReport()

    def attempt(self, label: str, func: Any) -> None:
        try:
            func()
        except (OdooError, Refused) as exc:
            self.report.refused.append(f"{label}: {exc}")
            return
        self.report.loaded += 1

    def geo(self, address: Address) -> dict[str, Any]:
        country_id = self.countries.get(address.country) if address.country else None
        if address.country and country_id is None:
            raise Refused(f"unknown country {address.country!r}")
        state_id = self.states.get((country_id, address.state)) if address.state else None
        if address.state and state_id is None:
            raise Refused(f"unknown state {address.state!r} in {address.country!r}")
        return mapping.address_vals(address, state_id=state_id, country_id=country_id)

    def customer(self, c: Customer) -> None:
        vals = {**mapping.partner_vals(c, state_id=None, country_id=None), **self.geo(c.billing), "customer_rank": 1}
        shipping = self.geo(c.shipping) if not mapping.is_empty(c.shipping) else None
        rid = self.call("res.partner", "create", vals)
        if shipping is not None:
            self.call("res.partner", "create", {**shipping, "type": "delivery", "name": c.name, "parent_id": rid})
        self.partners.setdefault(c.natural_key, rid)

    def product(self, p: Product) -> None:
        vals = mapping.template_vals(p, self.sim.version)
        pairs = [pair for v in p.variants for pair in mapping.parse_variant_name(v.name)]
        values: dict[tuple[str, str], tuple[int, int]] = {}
        for attribute, value in dict.fromkeys(pairs):
            found = self.call("product.attribute", "search", [("name", "=", attribute)], limit=1)
            attribute_id = found[0] if found else self.call("product.attribute", "create", {"name": attribute})
            found = self.call(
                "product.attribute.value",
                "search",
                [("attribute_id", "=", attribute_id), ("name", "=", value)],
                limit=1,
            )
            values[(attribute, value)] = (
                attribute_id,
                found[0]
                if found
                else self.call("product.attribute.value", "create", {"name": value, "attribute_id": attribute_id}),
            )
        if values:
            lines = [
                (0, 0, {"attribute_id": a, "value_ids": [(6, 0, [v for (aa, v) in values.values() if aa == a])]})
                for a in dict.fromkeys(a for a, _ in values.values())
            ]
            vals["attribute_line_ids"] = lines
        rid = self.call("product.template", "create", vals)
        env = self.sim.env
        variants = [env["product.product"][i] for i in sorted(env["product.product"].lookup("product_tmpl_id", rid))]
        if not p.variants:
            self.products.setdefault(p.sku, variants[0]["id"])
            return
        ptav = env["product.template.attribute.value"]
        ptav_ids = {i for v in variants for i in v["product_template_attribute_value_ids"]}
        names = {
            i: (
                env["product.attribute"][env.value("product.template.attribute.value", ptav[i], "attribute_id")][
                    "name"
                ],
                env.value("product.template.attribute.value", ptav[i], "name"),
            )
            for i in sorted(ptav_ids)
        }
        by_pairs = {frozenset(names[i] for i in v["product_template_attribute_value_ids"]): v for v in variants}
        wanted = set()
        for variant in p.variants:
            row = by_pairs[frozenset(mapping.parse_variant_name(variant.name))]
            wanted.add(row["id"])
            self.call(
                "product.product",
                "write",
                [row["id"]],
                {"default_code": variant.sku, "active": variant.status is not ProductStatus.ARCHIVED},
            )
            first = next(
                k
                for k, n in names.items()
                if n == mapping.parse_variant_name(variant.name)[0] and k in row["product_template_attribute_value_ids"]
            )
            self.call(
                "product.template.attribute.value",
                "write",
                [first],
                {"price_extra": float(variant.regular_price - p.regular_price)},
            )
            self.products.setdefault(variant.sku, row["id"])
        for row in variants:
            if row["id"] not in wanted:
                self.call("product.product", "write", [row["id"]], {"active": False})

    def stock(self, sku: str, quantity: float) -> None:
        if sku not in self.products:
            raise Refused(f"no product with SKU {sku!r}")
        quant = self.call(
            "stock.quant",
            "create",
            {"product_id": self.products[sku], "location_id": self.location, "inventory_quantity": quantity},
            context={"inventory_mode": True},
        )
        self.call("stock.quant", "action_apply_inventory", [quant])

    def guest_partner(self) -> int:
        if self.guest is None:
            self.guest = self.call(
                "res.partner", "create", {"name": "Guest customer (syncbridge)", "ref": "syncbridge-guest"}
            )
        return self.guest

    def order(self, o: Order) -> None:
        partner = self.partners.get(o.customer_email.lower()) if o.customer_email else self.guest_partner()
        if partner is None:
            raise Refused(f"no partner with e-mail {o.customer_email!r}")
        missing = [ln.sku for ln in o.lines if ln.sku not in self.products]
        if missing:
            raise Refused(f"no product with SKU {', '.join(missing)}")
        if o.currency not in self.currencies:
            raise Refused(f"unknown currency {o.currency!r}")
        rid = self.call(
            "sale.order",
            "create",
            {
                "partner_id": partner,
                "client_order_ref": o.number,
                "date_order": mapping.odoo_datetime(o.created_at),
                "currency_id": self.currencies[o.currency],
                "order_line": [(0, 0, mapping.line_vals(ln, self.products[ln.sku])) for ln in o.lines],
            },
        )
        if o.status in {OrderStatus.PROCESSING, OrderStatus.COMPLETED}:
            self.call("sale.order", "action_confirm", [rid])
        if o.status is OrderStatus.COMPLETED:
            self.call("sale.order", "action_lock" if self.sim.version >= 17 else "action_done", [rid])
        if o.status is OrderStatus.CANCELLED:
            self.call("sale.order", "action_cancel", [rid])
        self.orders[o.number] = (rid, partner)

    def journal(self, method: str) -> int:
        key = (method or "bank").lower()
        if key not in self.journals:
            code = f"J{len(self.journals):03d}"
            self.journals[key] = self.call("account.journal", "create", {"name": method, "code": code, "type": "bank"})
        return self.journals[key]

    def payment(self, p: Payment) -> None:
        if p.currency not in self.currencies:
            raise Refused(f"unknown currency {p.currency!r}")
        partner = self.orders.get(p.order_number, (0, None))[1]
        vals = mapping.payment_vals(
            p,
            version=self.sim.version,
            journal_id=self.journal(p.method),
            currency_id=self.currencies[p.currency],
            partner_id=partner,
        )
        rid = self.call("account.payment", "create", vals)
        v18 = self.sim.version >= 18
        if p.state in {PaymentState.PAID, PaymentState.REFUNDED, PaymentState.FAILED}:
            if p.state is PaymentState.FAILED and not v18:
                raise Refused("Odoo 16/17 payments have no failed state")
            self.call("account.payment", "action_post", [rid])
            if v18:
                action = "action_reject" if p.state is PaymentState.FAILED else "action_validate"
                self.call("account.payment", action, [rid])
        elif p.state is PaymentState.CANCELLED:
            self.call("account.payment", "action_cancel", [rid])


def load(sim: OdooSim, data: SeedData) -> LoadReport:
    """Customers, products (with variants), stock, orders, payments, in dependency order."""
    loader = _Loader(sim)
    for c in data.customers:
        loader.attempt(f"customer {c.email}", lambda c=c: loader.customer(c))
    for p in data.products:
        loader.attempt(f"product {p.sku}", lambda p=p: loader.product(p))
    for s in data.stock:
        loader.attempt(f"stock {s.natural_key}", lambda s=s: loader.stock(s.sku, float(s.quantity)))
    for o in data.orders:
        loader.attempt(f"order {o.number}", lambda o=o: loader.order(o))
    for pay in data.payments:
        loader.attempt(f"payment {pay.reference}", lambda pay=pay: loader.payment(pay))
    return loader.report
