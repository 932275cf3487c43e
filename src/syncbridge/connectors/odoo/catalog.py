"""Writing products (templates, attribute lines, generated variants) and sale orders to Odoo.

Variants: Odoo generates ``product.product`` rows from the template's attribute lines. The connector creates
the attributes and values a variant name names (``"Size: M, Color: Red"``), lets Odoo generate the
combinations, writes each variant's SKU on its row, archives the combinations the record does not have, and
puts ``variant price - template price`` on the first attribute's value as ``price_extra`` (exact for one
attribute; with several, variants sharing a first value must share that difference: a documented gap).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from syncbridge.connectors.odoo import mapping, readers
from syncbridge.connectors.odoo.backend import NO_ACTIVE_TEST, OdooBackend, chunks
from syncbridge.connectors.odoo.writers import BATCH, CustomerHandler, Outcome, batch_or_each, each
from syncbridge.domain.records import Order, OrderStatus, Product, ProductStatus
from syncbridge.errors import DuplicateKeyError, NotFoundError, SyncError, ValidationError


class ProductHandler:
    def __init__(self, backend: OdooBackend) -> None:
        self.b = backend

    def lookup(self, keys: Sequence[str]) -> dict[str, Outcome]:
        """Products by SKU in O(1) requests per chunk: simple products by their variant's code, variable ones
        by the common prefix of their variants' codes (Odoo keeps no code on a template with variants)."""
        out: dict[str, Outcome] = {}
        wanted = sorted({k.strip() for k in keys if k.strip()})
        for part in chunks(wanted, BATCH):
            rows = self.b.search_read(
                "product.product",
                [("default_code", "in", list(part))],
                ["default_code", "product_tmpl_id"],
                context=NO_ACTIVE_TEST,
                order="id asc",
            )
            template_ids = sorted({row["product_tmpl_id"][0] for row in rows})
            counts = {
                t["id"]: t["product_variant_count"]
                for t in (
                    self.b.read("product.template", "read", template_ids, fields=["product_variant_count"])
                    if template_ids
                    else []
                )
            }
            for row in rows:
                if counts.get(row["product_tmpl_id"][0], 0) <= 1:
                    out.setdefault(str(row["default_code"]), str(row["product_tmpl_id"][0]))
        missing = [k for k in wanted if k not in out]
        for part in chunks(missing, BATCH):
            domain: list[Any] = ["|"] * (len(part) - 1) + [("default_code", "=like", f"{key}%") for key in part]
            rows = self.b.search_read(
                "product.product", domain, ["default_code", "product_tmpl_id"], context=NO_ACTIVE_TEST
            )
            templates: dict[int, list[str]] = {}
            for row in rows:
                templates.setdefault(row["product_tmpl_id"][0], []).append(str(row["default_code"]))
            for key in part:
                matches = [t for t, skus in templates.items() if len(skus) > 1 and mapping.parent_sku(skus) == key]
                if len(matches) == 1:
                    out[key] = str(matches[0])
                elif matches:
                    out[key] = DuplicateKeyError(f"{len(matches)} Odoo products have SKU {key!r}")
        return out

    def _template_vals(self, product: Product, *, new: bool) -> dict[str, Any]:
        if not product.sku.strip():
            raise ValidationError("a product needs a SKU", code="missing_sku")
        vals = mapping.template_vals(product, self.b.version)
        if new and product.variants:
            pairs = [pair for v in product.variants for pair in mapping.parse_variant_name(v.name)]
            ids = self.b.attribute_value_ids(pairs)
            lines: dict[int, list[int]] = {}
            for pair in pairs:
                attribute_id, value_id = ids[pair]
                if value_id not in lines.setdefault(attribute_id, []):
                    lines[attribute_id].append(value_id)
            vals["attribute_line_ids"] = [
                (0, 0, {"attribute_id": a, "value_ids": [(6, 0, v)]}) for a, v in lines.items()
            ]
        return vals

    def unfinished(self, records: Sequence[Product]) -> dict[str, int]:
        """Templates that an earlier create of these variable products left unfinished, by SKU.

        Creating a variable product takes several calls (the template, then its generated variants' SKUs). If the
        create is cut between them (a 5xx, a lost answer, a killed worker), Odoo keeps a template whose variants
        have no SKU, or only some of this product's SKUs, so ``lookup`` cannot find it by SKU. Creating it again
        would leave a duplicate without a SKU. Such a template has the product's exact name, and its variants'
        codes are empty or are this product's variant SKUs. When exactly one template matches, it is completed
        instead of creating another."""
        variable = [p for p in records if p.variants and p.name.strip()]
        out: dict[str, int] = {}
        for part in chunks(variable, BATCH):
            names = sorted({p.name for p in part})
            templates = self.b.search_read(
                "product.template", [("name", "in", names)], ["name"], context=NO_ACTIVE_TEST
            )
            if not templates:
                continue
            codes: dict[int, list[str]] = {t["id"]: [] for t in templates}
            for row in self.b.search_read(
                "product.product",
                [("product_tmpl_id", "in", sorted(codes))],
                ["product_tmpl_id", "default_code"],
                context=NO_ACTIVE_TEST,
            ):
                codes[row["product_tmpl_id"][0]].append(mapping.text(row["default_code"]))
            for product in part:
                skus = {v.sku for v in product.variants}
                matches = [
                    t["id"]
                    for t in templates
                    if t["name"] == product.name
                    and "" in codes[t["id"]]
                    and all(not code or code in skus for code in codes[t["id"]])
                ]
                if len(matches) == 1:
                    out[product.sku] = matches[0]
        return out

    def create(self, records: Sequence[Product]) -> list[Outcome]:
        try:
            unfinished = self.unfinished(records)
        except SyncError as error:
            return [error] * len(records)
        if not unfinished:
            return self._create_templates(records)
        done = iter(self.update([(str(unfinished[p.sku]), p) for p in records if p.sku in unfinished]))
        rest = iter(self._create_templates([p for p in records if p.sku not in unfinished]))
        return [next(done) if p.sku in unfinished else next(rest) for p in records]

    def _create_templates(self, records: Sequence[Product]) -> list[Outcome]:
        prepared = each(records, lambda p: self._template_vals(p, new=True))
        good = [(vals, rec) for vals, rec in zip(prepared, records, strict=True) if not isinstance(vals, SyncError)]

        def batch(items: Sequence[tuple[dict[str, Any], Product]]) -> list[int]:
            ids: list[int] = self.b.write("product.template", "create", [vals for vals, _ in items])
            return ids

        created = iter(
            batch_or_each(good, batch, lambda item: int(self.b.write("product.template", "create", item[0])))
        )
        out: list[Outcome] = []
        for vals, record in zip(prepared, records, strict=True):
            result = vals if isinstance(vals, SyncError) else next(created)
            if isinstance(result, SyncError):
                out.append(result)
                continue
            try:
                if record.variants:
                    self._sync_variants(result, record)
            except SyncError as error:
                out.append(error)
                continue
            out.append(str(result))
        return out

    def update(self, pairs: Sequence[tuple[str, Product]]) -> list[Outcome]:
        def one(pair: tuple[str, Product]) -> str:
            rid, product = int(pair[0]), pair[1]
            self.b.write("product.template", "write", [rid], self._template_vals(product, new=False))
            if product.variants:
                self._extend_attribute_lines(rid, product)
                self._sync_variants(rid, product)
            return pair[0]

        return each(pairs, one)

    def delete(self, ids: Sequence[str]) -> list[Outcome]:
        return each(ids, lambda i: (self.b.write("product.template", "write", [int(i)], {"active": False}), i)[1])

    def _extend_attribute_lines(self, rid: int, product: Product) -> None:
        pairs = [pair for v in product.variants for pair in mapping.parse_variant_name(v.name)]
        ids = self.b.attribute_value_ids(pairs)
        lines = {
            r["attribute_id"][0]: r
            for r in self.b.search_read(
                "product.template.attribute.line", [("product_tmpl_id", "=", rid)], ["attribute_id", "value_ids"]
            )
        }
        new_lines: list[Any] = []
        for attribute_id in dict.fromkeys(a for a, _ in ids.values()):
            values = sorted({v for a, v in ids.values() if a == attribute_id})
            line = lines.get(attribute_id)
            if line is None:
                new_lines.append((0, 0, {"attribute_id": attribute_id, "value_ids": [(6, 0, values)]}))
            elif not set(values) <= set(line["value_ids"]):
                self.b.write(
                    "product.template.attribute.line",
                    "write",
                    [line["id"]],
                    {"value_ids": [(6, 0, sorted(set(line["value_ids"]) | set(values)))]},
                )
        if new_lines:
            self.b.write("product.template", "write", [rid], {"attribute_line_ids": new_lines})

    def _sync_variants(self, rid: int, product: Product) -> None:
        variants, values = readers.variant_rows(self.b, [rid])
        by_pairs = {
            frozenset(values[i] for i in v["product_template_attribute_value_ids"] if i in values): v for v in variants
        }
        ptav_by_pair = {pair: ptav for ptav, pair in values.items()}
        wanted: set[int] = set()
        extras: dict[int, float] = {}
        for variant in product.variants:
            pairs = mapping.parse_variant_name(variant.name)
            row = by_pairs.get(frozenset(pairs))
            if row is None:
                raise ValidationError(f"Odoo generated no variant for {variant.name!r} of {product.sku!r}")
            wanted.add(row["id"])
            vals: dict[str, Any] = {"default_code": variant.sku, "active": variant.status is not ProductStatus.ARCHIVED}
            if mapping.text(row["default_code"]) != variant.sku or row["active"] != vals["active"]:
                self.b.write("product.product", "write", [row["id"]], vals)
            if pairs:
                extras.setdefault(ptav_by_pair[pairs[0]], float(variant.regular_price - product.regular_price))
        for row in variants:
            if row["id"] not in wanted and row["active"]:
                self.b.write("product.product", "write", [row["id"]], {"active": False})
        groups: dict[float, list[int]] = {}
        for ptav, extra in extras.items():
            groups.setdefault(round(extra, 2), []).append(ptav)
        for extra, ptavs in groups.items():
            self.b.write("product.template.attribute.value", "write", sorted(ptavs), {"price_extra": extra})


class OrderHandler:
    def __init__(self, backend: OdooBackend, customers: CustomerHandler) -> None:
        self.b = backend
        self.customers = customers

    def lookup(self, keys: Sequence[str]) -> dict[str, Outcome]:
        out: dict[str, Outcome] = {}
        for part in chunks(sorted({k.strip() for k in keys}), BATCH):
            for row in self.b.search_read(
                "sale.order", [("client_order_ref", "in", list(part))], ["client_order_ref"], order="id asc"
            ):
                out.setdefault(str(row["client_order_ref"]), str(row["id"]))
        return out

    def _partner(self, email: str) -> int:
        if not email.strip():
            return self.b.guest_partner_id()
        found = self.customers.lookup([email]).get(email.strip().lower())
        if found is None:
            raise ValidationError(
                f"no Odoo customer with e-mail {email!r}: sync customers first", code="unknown_customer"
            )
        if isinstance(found, SyncError):
            raise found
        return int(found)

    def _products(self, orders: Sequence[Order]) -> dict[str, int]:
        skus = sorted({line.sku for order in orders for line in order.lines})
        out: dict[str, int] = {}
        for part in chunks(skus, BATCH):
            for row in self.b.search_read(
                "product.product", [("default_code", "in", list(part))], ["default_code"], order="id asc"
            ):
                out.setdefault(str(row["default_code"]), row["id"])
        return out

    def _lines(self, order: Order, products: dict[str, int]) -> list[dict[str, Any]]:
        missing = sorted({ln.sku for ln in order.lines if ln.sku not in products})
        if missing:
            raise ValidationError(
                f"order {order.number}: no Odoo product with SKU {', '.join(missing)}", code="unknown_sku"
            )
        return [mapping.line_vals(line, products[line.sku]) for line in order.lines]

    def _header(self, order: Order) -> dict[str, Any]:
        return {
            "partner_id": self._partner(order.customer_email),
            "client_order_ref": order.number,
            "date_order": mapping.odoo_datetime(order.created_at),
            "currency_id": self.b.currency_id(order.currency),
        }

    def create(self, records: Sequence[Order]) -> list[Outcome]:
        products = self._products(records)

        def one(order: Order) -> str:
            vals = {**self._header(order), "order_line": [(0, 0, v) for v in self._lines(order, products)]}
            rid = int(self.b.write("sale.order", "create", vals))
            self._transition(rid, "draft", False, order.status)
            return str(rid)

        return each(records, one)

    def update(self, pairs: Sequence[tuple[str, Order]]) -> list[Outcome]:
        products = self._products([o for _, o in pairs])
        ids = [int(ext) for ext, _ in pairs]
        fields = ["state", "locked"] if self.b.version >= 17 else ["state"]
        current = {r["id"]: r for r in self.b.read("sale.order", "read", ids, fields=fields)}
        lines = readers.order_lines(self.b, ids)

        def one(pair: tuple[str, Order]) -> str:
            rid, order = int(pair[0]), pair[1]
            row = current.get(rid)
            if row is None:
                raise NotFoundError(f"Odoo sale order {rid} does not exist")
            state, locked = str(row["state"]), bool(row.get("locked"))
            if locked or state == "done":
                self.b.write("sale.order", "action_unlock", [rid])
                state, locked = "sale", False
            if state == "cancel" and order.status is not OrderStatus.CANCELLED:
                self.b.write("sale.order", "action_draft", [rid])
                state = "draft"
            vals = self._header(order)
            if state != "cancel":
                commands = self._line_commands(order, products, lines.get(rid, []), state)
                if commands:
                    vals["order_line"] = commands
            self.b.write("sale.order", "write", [rid], vals)
            self._transition(rid, state, locked, order.status)
            return pair[0]

        return each(pairs, one)

    def _line_commands(
        self, order: Order, products: dict[str, int], existing: list[dict[str, Any]], state: str
    ) -> list[Any]:
        wanted = {v["product_id"]: v for v in self._lines(order, products)}
        commands: list[Any] = []
        seen: set[int] = set()
        for line in existing:
            product_id = line["product_id"][0] if line["product_id"] else 0
            vals = wanted.get(product_id)
            if vals is None or product_id in seen:
                if state in {"draft", "sent"}:
                    commands.append((2, line["id"], 0))
                elif line["product_uom_qty"]:
                    commands.append((1, line["id"], {"product_uom_qty": 0.0}))
                continue
            seen.add(product_id)
            changed = {
                k: v for k, v in vals.items() if k in {"product_uom_qty", "price_unit", "name"} and line.get(k) != v
            }
            if changed:
                commands.append((1, line["id"], changed))
        commands.extend((0, 0, vals) for pid, vals in wanted.items() if pid not in seen)
        return commands

    def _transition(self, rid: int, state: str, locked: bool, target: OrderStatus) -> None:
        lock = "action_lock" if self.b.version >= 17 else "action_done"
        cancel_ctx = {"disable_cancel_warning": True}
        if target is OrderStatus.CANCELLED:
            if state != "cancel":
                self.b.write("sale.order", "action_cancel", [rid], context=cancel_ctx)
            return
        if target is OrderStatus.PENDING:
            if state in {"sale", "done"}:
                self.b.write("sale.order", "action_cancel", [rid], context=cancel_ctx)
                self.b.write("sale.order", "action_draft", [rid])
            return
        if state in {"draft", "sent"}:
            self.b.write("sale.order", "action_confirm", [rid])
        if target is OrderStatus.COMPLETED and not locked:
            self.b.write("sale.order", lock, [rid])

    def delete(self, ids: Sequence[str]) -> list[Outcome]:
        def one(ext: str) -> str:
            rid = int(ext)
            fields = ["state", "locked"] if self.b.version >= 17 else ["state"]
            rows = self.b.read("sale.order", "read", [rid], fields=fields)
            if not rows:
                raise NotFoundError(f"Odoo sale order {rid} does not exist")
            if rows[0].get("locked") or rows[0]["state"] == "done":
                self.b.write("sale.order", "action_unlock", [rid])
            if rows[0]["state"] != "cancel":
                self.b.write("sale.order", "action_cancel", [rid], context={"disable_cancel_warning": True})
            return ext

        return each(ids, one)
