"""Writing customers, stock and payments to Odoo. Each handler answers per record: an external id or a typed
error. Batches go in one call (``create`` with a list, ``write`` grouped by identical values); when Odoo
refuses a batch (one transaction: nothing was written) the records are retried one by one to find the culprit.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Protocol, TypeVar

import orjson

from syncbridge.connectors.odoo import mapping
from syncbridge.connectors.odoo.backend import NO_ACTIVE_TEST, OdooBackend, chunks
from syncbridge.domain.records import Customer, Payment, PaymentState, StockLevel
from syncbridge.errors import DuplicateKeyError, NotFoundError, SyncError, TransientError, ValidationError

T = TypeVar("T")
R = TypeVar("R")
Outcome = str | SyncError
BATCH = 100


class Handler(Protocol):
    def lookup(self, keys: Sequence[str]) -> dict[str, Outcome]: ...

    def create(self, records: Sequence[Any]) -> list[Outcome]: ...

    def update(self, pairs: Sequence[tuple[str, Any]]) -> list[Outcome]: ...

    def delete(self, ids: Sequence[str]) -> list[Outcome]: ...


def each(items: Sequence[T], func: Callable[[T], R]) -> list[R | SyncError]:
    out: list[R | SyncError] = []
    for item in items:
        try:
            out.append(func(item))
        except SyncError as error:
            out.append(error)
    return out


def batch_or_each(
    items: Sequence[T], batch: Callable[[Sequence[T]], Sequence[int]], single: Callable[[T], int]
) -> list[int | SyncError]:
    """New ids, by one batch call; if Odoo refuses the batch (nothing written), one call per item."""
    if not items:
        return []
    try:
        return list(batch(items))
    except TransientError as error:
        return [error] * len(items)
    except SyncError:
        return each(items, single)


def write_grouped(
    backend: OdooBackend, model: str, updates: Sequence[tuple[int, dict[str, Any]]], **kwargs: Any
) -> dict[int, SyncError]:
    """``write`` once per distinct vals; a refused group is retried id by id. Returns the failures."""
    groups: dict[bytes, tuple[dict[str, Any], list[int]]] = {}
    for rid, vals in updates:
        key = orjson.dumps(vals, option=orjson.OPT_SORT_KEYS)
        groups.setdefault(key, (vals, []))[1].append(rid)
    failures: dict[int, SyncError] = {}
    for vals, ids in groups.values():
        for part in chunks(ids, BATCH):
            try:
                backend.write(model, "write", list(part), vals, **kwargs)
            except TransientError as error:
                failures.update(dict.fromkeys(part, error))
            except SyncError as error:
                if len(part) == 1:
                    failures[part[0]] = error
                    continue
                for rid in part:
                    try:
                        backend.write(model, "write", [rid], vals, **kwargs)
                    except SyncError as single:
                        failures[rid] = single
    return failures


# -- customers -----------------------------------------------------------------------------------------------
class CustomerHandler:
    def __init__(self, backend: OdooBackend) -> None:
        self.b = backend

    def lookup(self, keys: Sequence[str]) -> dict[str, Outcome]:
        out: dict[str, Outcome] = {}
        wanted = {k.strip().lower() for k in keys if k.strip()}
        for part in chunks(sorted(wanted), 40):
            domain: list[Any] = ["|"] * (len(part) - 1) + [("email", "ilike", k) for k in part]
            rows = self.b.search_read(
                "res.partner",
                [("parent_id", "=", False), *domain],
                ["email", "customer_rank"],
                context=NO_ACTIVE_TEST,
                order="id asc",
            )
            matches: dict[str, list[dict[str, Any]]] = {}
            for row in rows:
                email = mapping.text(row["email"]).strip().lower()
                if email in wanted:
                    matches.setdefault(email, []).append(row)
            for email, found in matches.items():
                customers = [r for r in found if r["customer_rank"] > 0] or found
                if len(customers) == 1:
                    out[email] = str(customers[0]["id"])
                else:
                    out[email] = DuplicateKeyError(
                        f"{len(customers)} Odoo partners share the e-mail {email!r}",
                        details={"external_ids": [str(r["id"]) for r in customers]},
                    )
        return out

    def _vals(self, customer: Customer) -> dict[str, Any]:
        state_id, country_id = self.b.geo_ids(customer.billing.country, customer.billing.state)
        return mapping.partner_vals(customer, state_id=state_id, country_id=country_id)

    def _delivery_vals(self, customer: Customer) -> dict[str, Any]:
        state_id, country_id = self.b.geo_ids(customer.shipping.country, customer.shipping.state)
        return {
            "type": "delivery",
            "name": customer.name,
            "active": True,
            **mapping.address_vals(customer.shipping, state_id=state_id, country_id=country_id),
        }

    def create(self, records: Sequence[Customer]) -> list[Outcome]:
        prepared = each(records, lambda c: ({**self._vals(c), "customer_rank": 1}, c))
        ok = [p for p in prepared if not isinstance(p, SyncError)]

        def batch(items: Sequence[tuple[dict[str, Any], Customer]]) -> list[int]:
            ids: list[int] = self.b.write("res.partner", "create", [vals for vals, _ in items])
            return ids

        created = iter(batch_or_each(ok, batch, lambda item: int(self.b.write("res.partner", "create", item[0]))))
        out: list[Outcome] = []
        children: list[dict[str, Any]] = []
        for item in prepared:
            if isinstance(item, SyncError):
                out.append(item)
                continue
            result = next(created)
            if isinstance(result, SyncError):
                out.append(result)
                continue
            out.append(str(result))
            if not mapping.is_empty(item[1].shipping):
                children.append({**self._delivery_vals(item[1]), "parent_id": result})
        if children:
            self.b.write("res.partner", "create", children)
        return out

    def update(self, pairs: Sequence[tuple[str, Customer]]) -> list[Outcome]:
        prepared = each(pairs, lambda p: (int(p[0]), self._vals(p[1])))
        good = [p for p in prepared if not isinstance(p, SyncError)]
        failures = write_grouped(self.b, "res.partner", good)
        ids = [rid for rid, _ in good if rid not in failures]
        existing: dict[int, int] = {}
        if ids:
            for child in self.b.search_read(
                "res.partner", [("parent_id", "in", ids), ("type", "=", "delivery")], ["parent_id"], order="id asc"
            ):
                existing.setdefault(child["parent_id"][0], child["id"])
        by_id = {int(ext): c for ext, c in pairs}
        out: list[Outcome] = []
        for item, (ext, _customer) in zip(prepared, pairs, strict=True):
            if isinstance(item, SyncError):
                out.append(item)
                continue
            rid = item[0]
            if rid in failures:
                out.append(failures[rid])
                continue
            try:
                self._sync_delivery(rid, by_id[rid], existing.get(rid))
            except SyncError as error:
                out.append(error)
                continue
            out.append(ext)
        return out

    def _sync_delivery(self, rid: int, customer: Customer, child: int | None) -> None:
        if mapping.is_empty(customer.shipping):
            if child is not None:
                self.b.write("res.partner", "write", [child], {"active": False})
            return
        vals = self._delivery_vals(customer)
        if child is None:
            self.b.write("res.partner", "create", {**vals, "parent_id": rid})
        else:
            self.b.write("res.partner", "write", [child], vals)

    def delete(self, ids: Sequence[str]) -> list[Outcome]:
        failures = write_grouped(self.b, "res.partner", [(int(i), {"active": False}) for i in ids])
        return [failures.get(int(i), i) for i in ids]


# -- stock -----------------------------------------------------------------------------------------------------
class StockHandler:
    def __init__(self, backend: OdooBackend) -> None:
        self.b = backend

    def _products(self, skus: Sequence[str]) -> dict[str, int]:
        out: dict[str, int] = {}
        for part in chunks(sorted(set(skus)), BATCH):
            for row in self.b.search_read(
                "product.product",
                [("default_code", "in", list(part))],
                ["default_code"],
                context=NO_ACTIVE_TEST,
                order="id asc",
            ):
                out.setdefault(str(row["default_code"]), row["id"])
        return out

    def lookup(self, keys: Sequence[str]) -> dict[str, Outcome]:
        skus = {k: k.rsplit("@", 1)[0] for k in keys}
        products = self._products(list(skus.values()))
        if not products:
            return {}
        quants = self.b.search_read(
            "stock.quant",
            [("product_id", "in", sorted(products.values())), ("location_id", "=", self.b.stock_location_id())],
            ["product_id"],
            order="id asc",
        )
        by_product = {q["product_id"][0]: str(q["id"]) for q in quants}
        return {
            key: by_product[products[sku]]
            for key, sku in skus.items()
            if sku in products and products[sku] in by_product
        }

    def _set(self, levels: Sequence[StockLevel]) -> list[Outcome]:
        products = self._products([lv.sku for lv in levels])
        location = self.b.stock_location_id()
        context = {"inventory_mode": True}

        def vals(level: StockLevel) -> dict[str, Any]:
            if level.sku not in products:
                raise ValidationError(f"no Odoo product with SKU {level.sku!r}", code="unknown_sku")
            if level.location != "default":
                raise ValidationError(f"unknown stock location {level.location!r} (only 'default')")
            return {
                "product_id": products[level.sku],
                "location_id": location,
                "inventory_quantity": float(level.quantity),
            }

        prepared = each(levels, vals)
        good = [p for p in prepared if not isinstance(p, SyncError)]

        def batch(items: Sequence[dict[str, Any]]) -> list[int]:
            ids: list[int] = self.b.write("stock.quant", "create", list(items), context=context)
            return ids

        created = iter(
            batch_or_each(good, batch, lambda v: int(self.b.write("stock.quant", "create", v, context=context)))
        )
        out: list[Outcome] = []
        for item in prepared:
            result = item if isinstance(item, SyncError) else next(created)
            out.append(result if isinstance(result, SyncError) else str(result))
        applied = sorted({int(r) for r in out if isinstance(r, str)})
        if applied:
            try:
                self.b.write("stock.quant", "action_apply_inventory", applied)
            except SyncError as error:
                return [error if isinstance(r, str) else r for r in out]
        return out

    def create(self, records: Sequence[StockLevel]) -> list[Outcome]:
        return self._set(records)

    def update(self, pairs: Sequence[tuple[str, StockLevel]]) -> list[Outcome]:
        return self._set([record for _, record in pairs])

    def delete(self, ids: Sequence[str]) -> list[Outcome]:
        """A deleted stock level is a quantity of 0."""
        quant_ids = [int(i) for i in ids]
        try:
            self.b.write(
                "stock.quant", "write", quant_ids, {"inventory_quantity": 0.0}, context={"inventory_mode": True}
            )
            self.b.write("stock.quant", "action_apply_inventory", quant_ids)
        except SyncError as error:
            return [error] * len(ids)
        return list(ids)


# -- payments --------------------------------------------------------------------------------------------------
class PaymentHandler:
    def __init__(self, backend: OdooBackend) -> None:
        self.b = backend

    @property
    def memo(self) -> str:
        return mapping.memo_field(self.b.version)

    def lookup(self, keys: Sequence[str]) -> dict[str, Outcome]:
        out: dict[str, Outcome] = {}
        for part in chunks(sorted(set(keys)), BATCH):
            for row in self.b.search_read(
                "account.payment", [(self.memo, "in", list(part))], [self.memo], order="id asc"
            ):
                out.setdefault(str(row[self.memo]), str(row["id"]))
        return out

    def _vals(self, payment: Payment) -> dict[str, Any]:
        if mapping.order_number_of(payment.reference) != payment.order_number.strip():
            raise ValidationError(
                f"payment reference {payment.reference!r} does not carry its order number "
                f"{payment.order_number!r} ('<order>' or '<order>/R<n>')",
                code="payment_reference",
            )
        if payment.state is PaymentState.FAILED and self.b.version < 18:
            raise ValidationError("Odoo 16/17 payments have no failed state", code="unsupported_state")
        orders = self.b.search_read(
            "sale.order", [("client_order_ref", "=", payment.order_number)], ["partner_id"], limit=1
        )
        partner = orders[0]["partner_id"][0] if orders and orders[0]["partner_id"] else None
        return mapping.payment_vals(
            payment,
            version=self.b.version,
            journal_id=self.b.journal_id(payment.method),
            currency_id=self.b.currency_id(payment.currency),
            partner_id=partner,
        )

    def _transition(self, rid: int, current: str, target: PaymentState) -> None:
        """Move a payment from its Odoo state to the target through Odoo's actions."""
        v18 = self.b.version >= 18
        done = {"paid"} if v18 else {"posted"}
        if target in {PaymentState.PAID, PaymentState.REFUNDED, PaymentState.FAILED}:
            if current == "draft":
                self.b.write("account.payment", "action_post", [rid])
                current = "in_process" if v18 else "posted"
            if v18 and current == "in_process":
                action = "action_reject" if target is PaymentState.FAILED else "action_validate"
                self.b.write("account.payment", action, [rid])
            elif current not in done and not (v18 and current == "rejected" and target is PaymentState.FAILED):
                raise ValidationError(f"cannot move an Odoo payment from {current!r} to {target.value}")
        elif target is PaymentState.CANCELLED and current not in {"canceled", "cancel"}:
            if current != "draft":  # Odoo cancels drafts only: reset a posted payment first
                self.b.write("account.payment", "action_draft", [rid])
            self.b.write("account.payment", "action_cancel", [rid])
        elif target is PaymentState.PENDING and current != "draft":
            self.b.write("account.payment", "action_draft", [rid])

    def create(self, records: Sequence[Payment]) -> list[Outcome]:
        def one(payment: Payment) -> str:
            rid = int(self.b.write("account.payment", "create", self._vals(payment)))
            self._transition(rid, "draft", payment.state)
            return str(rid)

        return each(records, one)

    def update(self, pairs: Sequence[tuple[str, Payment]]) -> list[Outcome]:
        ids = [int(ext) for ext, _ in pairs]
        current = {
            r["id"]: r
            for r in self.b.read("account.payment", "read", ids, fields=mapping.payment_fields(self.b.version))
        }

        def one(pair: tuple[str, Payment]) -> str:
            rid, wanted = int(pair[0]), pair[1]
            row = current.get(rid)
            if row is None:
                raise NotFoundError(f"Odoo payment {rid} does not exist")
            have = mapping.payment_from_odoo(row, version=self.b.version)
            state = str(row["state"])
            if _payment_fields_differ(have, wanted):
                if state != "draft":
                    self.b.write("account.payment", "action_draft", [rid])
                    state = "draft"
                self.b.write("account.payment", "write", [rid], self._vals(wanted))
            self._transition(rid, state, wanted.state)
            return pair[0]

        return each(pairs, one)

    def delete(self, ids: Sequence[str]) -> list[Outcome]:
        """A deleted payment is cancelled (reset to draft first when posted)."""

        def one(ext: str) -> str:
            rows = self.b.read("account.payment", "read", [int(ext)], fields=["state"])
            if not rows:
                raise NotFoundError(f"Odoo payment {ext} does not exist")
            self._transition(int(ext), str(rows[0]["state"]), PaymentState.CANCELLED)
            return ext

        return each(ids, one)


def _payment_fields_differ(have: Payment, wanted: Payment) -> bool:
    fields = ("reference", "amount", "currency", "method", "transaction_id")
    if any(getattr(have, f) != getattr(wanted, f) for f in fields):
        return True
    return (wanted.state is PaymentState.REFUNDED) != (have.state is PaymentState.REFUNDED)
