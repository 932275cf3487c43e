"""An independent checker: the three systems compared record by record, straight from their stores.

It does not use the engine's connectors, mappings, codec or delta: it reads the WooCommerce simulator's rows, the
Odoo simulator's tables (through its in-process ``execute_kw``) and the hub tables' JSON with plain SQL, projects
each record onto a few fields every side must agree on, and reports per entity:

* lost         a natural key some system holds (live) that another lacks (a live product without a SKU counts
               as ``<system>#<id>``: it matches nothing, so only a conflict for it explains it);
* duplicated   a natural key held by more rows of one system than before the sync started;
* mismatched   a natural key whose projected values differ between the systems holding it.

A finding for a key with an open conflict (``sync_conflict`` row in status open or retrying for that entity and
natural key) is counted as explained, not as a failure.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

if TYPE_CHECKING:
    from syncbridge.sim.odoo import OdooSim
    from syncbridge.sim.woocommerce import WooCommerceSim

Values = tuple[str, ...]
Snapshot = dict[str, dict[str, list[Values]]]  # entity -> natural key -> the projected values of each row
ENTITIES = ("customers", "products", "inventory", "orders")

_WOO_ORDER_STATUS = {
    "pending": "pending",
    "on-hold": "pending",
    "failed": "pending",
    "processing": "processing",
    "completed": "completed",
    "cancelled": "cancelled",
    "refunded": "cancelled",
}


def money(value: Any) -> str:
    try:
        return str(Decimal(str(value if value not in (None, False, "") else 0)).quantize(Decimal("0.01")))
    except InvalidOperation:
        return f"invalid:{value!r}"


def _add(snap: Snapshot, entity: str, key: str, values: Values) -> None:
    snap.setdefault(entity, {}).setdefault(key, []).append(values)


# -- WooCommerce: the simulator's rows -------------------------------------------------------------------
def woo_snapshot(sim: WooCommerceSim) -> Snapshot:
    snap: Snapshot = {e: {} for e in ENTITIES}
    store = sim.store
    with store.lock:
        for c in store.customers.values():
            name = " ".join(p for p in (c.first_name.strip(), c.last_name.strip()) if p)
            _add(snap, "customers", c.email.strip().lower(), (name, str(c.billing.get("phone") or "")))
        for p in store.products.values():
            if p.status == "trash":
                continue
            if not p.sku:  # a product without a SKU matches nothing: it must be explained by a conflict
                if p.type != "variation":
                    _add(snap, "products", f"woocommerce#{p.id}", (p.name.strip(),))
                continue
            parent = store.products.get(p.parent_id) if p.type == "variation" else None
            if parent is not None and parent.status == "trash":
                continue
            if p.type == "variable":
                continue
            name = parent.name if parent is not None else p.name
            _add(snap, "products", p.sku, (name.strip(), money(p.regular_price)))
            if p.manage_stock:
                _add(snap, "inventory", f"{p.sku}@default", (str(int(p.stock_quantity or 0)),))
        for o in store.orders.values():
            if o.status == "trash":
                continue
            meta = {m.get("key"): m.get("value") for m in o.meta_data}
            number = str(meta.get("_order_number") or o.id)
            total = sum((Decimal(li.total) for li in o.line_items), Decimal(0)) + sum(
                (Decimal(f.total) for f in o.fee_lines), Decimal(0)
            )
            _add(snap, "orders", number, (_WOO_ORDER_STATUS.get(o.status, o.status), money(total)))
    return snap


# -- Odoo: the simulator's tables through its own execute_kw ---------------------------------------------
def _odoo_order_status(state: str, locked: bool) -> str:
    if state in {"draft", "sent"}:
        return "pending"
    if state == "cancel":
        return "cancelled"
    if state == "done" or (state == "sale" and locked):
        return "completed"
    return "processing"


def odoo_snapshot(sim: OdooSim) -> Snapshot:
    snap: Snapshot = {e: {} for e in ENTITIES}
    partners = sim.call(
        "res.partner",
        "search_read",
        [("parent_id", "=", False), ("email", "!=", False), ("customer_rank", ">", 0)],
        fields=["email", "name", "phone"],
    )
    for row in partners:
        _add(
            snap,
            "customers",
            str(row["email"]).strip().lower(),
            (str(row["name"] or "").strip(), str(row["phone"] or "")),
        )
    variants = sim.call(
        "product.product",
        "search_read",
        [("default_code", "!=", False)],
        fields=["default_code", "lst_price", "product_tmpl_id"],
    )
    template_ids = sorted({row["product_tmpl_id"][0] for row in variants if row["product_tmpl_id"]})
    names = {
        row["id"]: str(row["name"] or "").strip()
        for row in sim.call("product.template", "read", template_ids, fields=["name"], context={"active_test": False})
    }
    coded = {row["product_tmpl_id"][0] for row in variants if row["product_tmpl_id"]}
    for row in sim.call("product.template", "search_read", [], fields=["name"]):
        if row["id"] not in coded:  # no variant has a SKU: it matches nothing, so must be explained by a conflict
            _add(snap, "products", f"odoo#{row['id']}", (str(row["name"] or "").strip(),))
    sku_of: dict[int, str] = {}
    for row in variants:
        sku_of[row["id"]] = str(row["default_code"])
        name = names.get(row["product_tmpl_id"][0], "") if row["product_tmpl_id"] else ""
        _add(snap, "products", str(row["default_code"]), (name, money(row["lst_price"])))
    location = next(r["lot_stock_id"] for r in sim.env["stock.warehouse"])
    location_id = location[0] if isinstance(location, list | tuple) else location
    quants = sim.call(
        "stock.quant", "search_read", [("location_id", "=", location_id)], fields=["product_id", "quantity"]
    )
    quantity: Counter[str] = Counter()
    for row in quants:
        product = row["product_id"][0] if row["product_id"] else None
        if product in sku_of:
            quantity[sku_of[product]] += int(Decimal(str(row["quantity"])))
    for sku, qty in quantity.items():
        _add(snap, "inventory", f"{sku}@default", (str(qty),))
    fields = ["client_order_ref", "name", "state", "amount_total"]
    if sim.version >= 17:
        fields.append("locked")
    for row in sim.call("sale.order", "search_read", [], fields=fields):
        number = str(row["client_order_ref"] or row["name"])
        status = _odoo_order_status(str(row["state"]), bool(row.get("locked")))
        _add(snap, "orders", number, (status, money(row["amount_total"])))
    return snap


# -- the hub: its tables' JSON, with plain SQL -----------------------------------------------------------
def hub_snapshot(engine: sa.Engine, org_id: str) -> Snapshot:
    snap: Snapshot = {e: {} for e in ENTITIES}
    with engine.connect() as conn:

        def live(table: str) -> Iterable[Mapping[str, Any]]:
            rows = conn.execute(
                sa.text(f"SELECT data FROM {table} WHERE org_id = :org AND deleted = :no"), {"org": org_id, "no": False}
            )
            return [json.loads(r.data) if isinstance(r.data, str) else r.data for r in rows]

        for d in live("hub_customer"):
            _add(
                snap, "customers", str(d["email"]).strip().lower(), (str(d["name"]).strip(), str(d.get("phone") or ""))
            )
        for d in live("hub_product"):
            if d.get("status") == "archived":
                continue
            variants = d.get("variants") or []
            for v in variants:
                if v.get("status") != "archived":
                    _add(snap, "products", str(v["sku"]), (str(d["name"]).strip(), money(v["regular_price"])))
            if not variants:
                _add(snap, "products", str(d["sku"]), (str(d["name"]).strip(), money(d["regular_price"])))
        for d in live("hub_stock_level"):
            qty = str(int(Decimal(str(d["quantity"]))))
            _add(snap, "inventory", f"{d['sku']}@{d.get('location') or 'default'}", (qty,))
        for d in live("hub_order"):
            _add(snap, "orders", str(d["number"]), (str(d["status"]), money(d["total"])))
    return snap


def open_conflicts(engine: sa.Engine, org_id: str) -> set[tuple[str, str]]:
    with engine.connect() as conn:
        rows = conn.execute(
            sa.text(
                "SELECT entity, natural_key FROM sync_conflict WHERE org_id = :org AND status IN ('open', 'retrying')"
            ),
            {"org": org_id},
        )
        return {(str(r.entity), str(r.natural_key or "")) for r in rows}


# -- the comparison (pure) -------------------------------------------------------------------------------
@dataclass
class EntityReport:
    keys: int = 0
    lost: list[str] = field(default_factory=list)
    duplicated: list[str] = field(default_factory=list)
    mismatched: list[str] = field(default_factory=list)
    explained: int = 0
    held: dict[str, dict[str, list[Values]]] = field(default_factory=dict)  # finding's key -> system -> its rows


@dataclass
class Report:
    entities: dict[str, EntityReport]

    @property
    def lost(self) -> int:
        return sum(len(e.lost) for e in self.entities.values())

    @property
    def duplicated(self) -> int:
        return sum(len(e.duplicated) for e in self.entities.values())

    @property
    def mismatched(self) -> int:
        return sum(len(e.mismatched) for e in self.entities.values())

    @property
    def explained(self) -> int:
        return sum(e.explained for e in self.entities.values())

    @property
    def clean(self) -> bool:
        return self.lost == self.duplicated == self.mismatched == 0

    def render(self) -> str:
        lines = [f"{'entity':<10} {'keys':>7} {'lost':>6} {'dup':>6} {'mismatch':>9} {'explained':>10}"]
        for name, e in self.entities.items():
            lines.append(
                f"{name:<10} {e.keys:>7} {len(e.lost):>6} {len(e.duplicated):>6} {len(e.mismatched):>9} "
                f"{e.explained:>10}"
            )
        lines.append(
            f"{'total':<10} {sum(e.keys for e in self.entities.values()):>7} {self.lost:>6} {self.duplicated:>6} "
            f"{self.mismatched:>9} {self.explained:>10}"
        )
        for name, e in self.entities.items():
            for what, keys in (("lost", e.lost), ("duplicated", e.duplicated), ("mismatched", e.mismatched)):
                if keys:
                    lines.append(f"  {name} {what}: {', '.join(repr(k) for k in sorted(keys)[:10])}")
                    for key in sorted(keys)[:10]:
                        lines.append(f"    {key!r} held by {e.held.get(key, {})}")
        return "\n".join(lines)


def compare(
    snapshots: Mapping[str, Snapshot],
    explained: set[tuple[str, str]],
    baseline: Mapping[str, Snapshot] | None = None,
) -> Report:
    """Compare the systems' snapshots; ``baseline`` holds the snapshots taken before the first sync, whose
    duplicates (a shop's own, such as two customers sharing an e-mail) are not the sync's doing."""
    report = Report({})
    for entity in ENTITIES:
        er = EntityReport()
        per_system = {system: snap.get(entity, {}) for system, snap in snapshots.items()}
        keys = set().union(*(s.keys() for s in per_system.values()))
        er.keys = len(keys)
        for key in sorted(keys):
            findings: list[str] = []
            present = {system: rows for system, rows in per_system.items() if rows.get(key)}
            if len(present) < len(per_system):
                findings.append("lost")
            for system, rows in per_system.items():
                before = len(((baseline or {}).get(system, {}).get(entity, {})).get(key, []))
                if len(rows.get(key, [])) > max(1, before):
                    findings.append("duplicated")
                    break
            distinct = {tuple(sorted(set(rows[key]))) for rows in present.values()}
            if len(distinct) > 1:
                findings.append("mismatched")
            if not findings:
                continue
            if (entity, key) in explained:
                er.explained += 1
                continue
            for finding in dict.fromkeys(findings):
                getattr(er, finding).append(key)
            er.held[key] = {system: rows[key] for system, rows in present.items()}
        report.entities[entity] = er
    return report


def check(
    woo: WooCommerceSim, odoo: OdooSim, engine: sa.Engine, org_id: str, baseline: Mapping[str, Snapshot] | None = None
) -> Report:
    snapshots = {
        "woocommerce": woo_snapshot(woo),
        "hub": hub_snapshot(engine, org_id),
        "odoo": odoo_snapshot(odoo),
    }
    return compare(snapshots, open_conflicts(engine, org_id), baseline)
