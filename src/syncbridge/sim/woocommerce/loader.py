"""Seed data into the shop as if created through its API (same checks), with the records' own dates."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from syncbridge.connectors.woocommerce import mapping
from syncbridge.sim.woocommerce import customers, orders, products
from syncbridge.sim.woocommerce.errors import WcError

if TYPE_CHECKING:
    from syncbridge.sim.seed import SeedData
    from syncbridge.sim.woocommerce.sim import WooCommerceSim


@dataclass
class LoadReport:
    loaded: int = 0
    refused: list[str] = field(default_factory=list)


def _try(report: LoadReport, label: str, fn: Any) -> Any:
    try:
        out = fn()
    except WcError as exc:
        report.refused.append(f"{label}: {exc.code}")
        return None
    report.loaded += 1
    return out


def load(sim: WooCommerceSim, data: SeedData) -> LoadReport:
    """Customers, products (with variations), stock, orders, payments; refusals are counted, never hidden."""
    report = LoadReport()
    s = sim.store
    with s.lock:
        for c in data.customers:
            _try(report, f"customer {c.email}", lambda c=c: customers.create_customer(s, mapping.customer_to_wc(c)))
        for p in data.products:
            row = _try(report, f"product {p.sku}", lambda p=p: products.create_product(s, mapping.product_to_wc(p)))
            if row is None:
                continue
            for v in p.variants:
                _try(
                    report,
                    f"variation {v.sku}",
                    lambda v=v, row=row: products.create_variation(s, row, mapping.variation_to_wc(v)),
                )
            if p.status.value == "archived":
                products.delete_product(s, row, force=False)
        for level in data.stock:
            pid = s.sku_index.get(level.sku)
            target = s.products.get(pid) if pid is not None else None
            if target is None:
                report.refused.append(f"stock {level.sku}: unknown sku")
                continue
            target.manage_stock = True
            target.stock_quantity = int(level.quantity)
            report.loaded += 1
        by_number: dict[str, int] = {}
        for o in data.orders:
            items: dict[str, tuple[int, int]] = {}
            for line in o.lines:
                pid = s.sku_index.get(line.sku)
                row = s.products.get(pid) if pid is not None else None
                if row is not None:
                    items[line.sku] = (row.parent_id, row.id) if row.type == "variation" else (row.id, 0)
            cid = s.email_index.get(o.customer_email.lower()) if o.customer_email else None
            body = mapping.order_to_wc(o, items, cid, create=True)
            order = _try(report, f"order {o.number}", lambda body=body: orders.create_order(s, body))
            if order is not None:
                by_number[o.number] = order.id
        for pay in data.payments:
            oid = by_number.get(pay.order_number)
            if oid is None:
                report.refused.append(f"payment {pay.reference}: unknown order")
                continue
            order = s.orders[oid]
            body = mapping.payment_to_wc(pay)
            if pay.state.value == "refunded":
                total = sim.endpoints.order_total(oid)
                _try(
                    report, f"refund {pay.reference}", lambda o=order, b=body, t=total: orders.create_refund(s, o, b, t)
                )
            else:
                _try(report, f"payment {pay.reference}", lambda o=order, b=body: orders.update_order(s, o, b))
    return report
