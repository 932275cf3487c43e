"""What makes the simulated models behave like Odoo's on create, write and unlink: defaults, constraints,
variant generation; ``install`` wires them (with the computed fields) into an environment."""

from __future__ import annotations

import itertools
from collections.abc import Callable

from syncbridge.sim.odoo.computed import COMPUTES, DISPLAY, product_display, variants_of
from syncbridge.sim.odoo.exceptions import UserError, ValidationError
from syncbridge.sim.odoo.orm import Env, Row


# -- create / write hooks ------------------------------------------------------------------------------------
def _partner_check(env: Env, rid: int, vals: Row) -> None:
    row = env["res.partner"][rid]
    if not row.get("name") and row.get("type") == "contact":
        raise ValidationError("Contacts require a name")


def _partner_written(env: Env, ids: list[int], vals: Row) -> None:
    for rid in ids:
        _partner_check(env, rid, vals)


VARIANT_FIELDS = ("default_code", "barcode", "standard_price")


def _syncvariants_of(env: Env, template_id: int) -> None:
    """Create the variants the attribute lines call for and archive those they no longer do."""
    lines = env["product.template.attribute.line"]
    ptavs = env["product.template.attribute.value"]
    per_line = [
        sorted(ptavs.lookup("attribute_line_id", line_id))
        for line_id in sorted(lines.lookup("product_tmpl_id", template_id))
    ]
    per_line = [ids for ids in per_line if ids]
    wanted = {tuple(sorted(combo)) for combo in itertools.product(*per_line)} if per_line else {()}
    products = env["product.product"]
    existing = {
        tuple(sorted(products[i]["product_template_attribute_value_ids"])): i
        for i in sorted(products.lookup("product_tmpl_id", template_id))
    }
    for combo, pid in existing.items():
        active = combo in wanted
        if products[pid]["active"] != active:
            env.touch("product.product", pid, active=active)
    for combo in sorted(wanted - existing.keys()):
        env.create(
            "product.product",
            {"product_tmpl_id": template_id, "product_template_attribute_value_ids": [(6, 0, list(combo))]},
        )


def _template_created(env: Env, rid: int, vals: Row) -> None:
    _check_storable(env, vals)
    _syncvariants_of(env, rid)
    _variant_fields_to_single(env, rid, vals)


def _check_storable(env: Env, vals: Row) -> None:
    if env.version >= 18 and vals.get("is_storable") and vals.get("type", "consu") != "consu":
        raise ValidationError("Only goods can be tracked in inventory.")


def _variant_fields_to_single(env: Env, rid: int, vals: Row) -> None:
    changes = {k: vals[k] for k in VARIANT_FIELDS if k in vals}
    if not changes:
        return
    variants = variants_of(env, rid)
    if len(variants) == 1:
        env.write("product.product", [variants[0]["id"]], changes)


def _template_written(env: Env, ids: list[int], vals: Row) -> None:
    _check_storable(env, vals)
    for rid in ids:
        if "attribute_line_ids" in vals:
            _syncvariants_of(env, rid)
        if "active" in vals:
            products = env["product.product"]
            for pid in sorted(products.lookup("product_tmpl_id", rid)):
                env.touch("product.product", pid, active=bool(vals["active"]))
        _variant_fields_to_single(env, rid, vals)


def _attribute_line_created(env: Env, rid: int, vals: Row) -> None:
    line = env["product.template.attribute.line"][rid]
    for value_id in line["value_ids"]:
        env.create(
            "product.template.attribute.value",
            {"attribute_line_id": rid, "product_attribute_value_id": value_id},
        )


def _attribute_line_written(env: Env, ids: list[int], vals: Row) -> None:
    ptavs = env["product.template.attribute.value"]
    for rid in ids:
        line = env["product.template.attribute.line"][rid]
        have = {ptavs[i]["product_attribute_value_id"]: i for i in ptavs.lookup("attribute_line_id", rid)}
        for value_id in line["value_ids"]:
            if value_id not in have:
                env.create(
                    "product.template.attribute.value",
                    {"attribute_line_id": rid, "product_attribute_value_id": value_id},
                )
        _syncvariants_of(env, line["product_tmpl_id"])


def _product_barcode_unique(env: Env, ids: list[int], vals: Row) -> None:
    code = vals.get("barcode")
    if not code:
        return
    clashes = sorted(i for i in env["product.product"].lookup("barcode", str(code)) if i not in ids)
    if clashes or len(ids) > 1:
        raise ValidationError(
            f'Barcode(s) already assigned:\n\n- Barcode "{code}" already assigned to '
            "product(s): " + ", ".join(str(c) for c in clashes)
        )


def _line_defaults(env: Env, vals: Row) -> Row:
    product_id = vals.get("product_id")
    if product_id and product_id in env["product.product"].rows:
        product = env["product.product"][product_id]
        vals.setdefault("name", product_display(env, product))
        vals.setdefault("price_unit", env.value("product.product", product, "lst_price"))
        vals.setdefault("tax_id", [(6, 0, env.value("product.product", product, "taxes_id"))])
    return vals


def _order_defaults(env: Env, vals: Row) -> Row:
    seq = env.next_sequence("sale.order")
    vals.setdefault("name", f"S{seq:05d}")
    vals.setdefault("date_order", env.stamp())
    partner = vals.get("partner_id")
    vals.setdefault("partner_invoice_id", partner)
    vals.setdefault("partner_shipping_id", partner)
    return vals


def _line_unlink(env: Env, ids: list[int]) -> None:
    lines, orders = env["sale.order.line"], env["sale.order"]
    for rid in ids:
        if rid in lines.rows and orders[lines[rid]["order_id"]]["state"] in {"sale", "done"}:
            raise UserError(
                "Once a sales order is confirmed, you can't remove one of its lines (we need to "
                "track if something gets invoiced or delivered).\nSet the quantity to 0 instead."
            )


def _order_unlink(env: Env, ids: list[int]) -> None:
    for row in env.ensure("sale.order", ids):
        if row["state"] not in {"draft", "cancel"}:
            raise UserError("You can not delete a sent quotation or a confirmed sales order. You must first cancel it.")


def _line_write(env: Env, ids: list[int], vals: Row) -> Row:
    for row in env.ensure("sale.order.line", ids):
        order = env["sale.order"][row["order_id"]]
        if order.get("locked") or order["state"] in {"done", "cancel"}:
            raise UserError("You cannot modify the lines of a locked or cancelled order.")
    return vals


def _payment_defaults(env: Env, vals: Row) -> Row:
    if not vals.get("journal_id"):
        banks = env.search("account.journal", [("type", "=", "bank")], limit=1)
        vals["journal_id"] = banks[0] if banks else False
    vals.setdefault("date", env.clock().strftime("%Y-%m-%d"))
    vals.setdefault("currency_id", 1)
    return vals


def _payment_write(env: Env, ids: list[int], vals: Row) -> Row:
    if "state" in vals:
        raise UserError("The state of a payment changes through its actions (Confirm, Cancel, Reset to draft).")
    return vals


def _template_defaults(env: Env, vals: Row) -> Row:
    sale_taxes = env.search("account.tax", [("type_tax_use", "=", "sale")], limit=1)
    vals.setdefault("taxes_id", [(6, 0, sale_taxes)])
    return vals


BEFORE_CREATE: dict[str, Callable[[Env, Row], Row]] = {
    "product.template": _template_defaults,
    "sale.order.line": _line_defaults,
    "sale.order": _order_defaults,
    "account.payment": _payment_defaults,
}
AFTER_CREATE: dict[str, Callable[[Env, int, Row], None]] = {
    "res.partner": _partner_check,
    "product.template": _template_created,
    "product.template.attribute.line": _attribute_line_created,
    "product.product": lambda env, rid, vals: _product_barcode_unique(env, [rid], vals),
}
BEFORE_WRITE: dict[str, Callable[[Env, list[int], Row], Row]] = {
    "sale.order.line": _line_write,
    "account.payment": _payment_write,
}
AFTER_WRITE: dict[str, Callable[[Env, list[int], Row], None]] = {
    "res.partner": _partner_written,
    "product.template": _template_written,
    "product.template.attribute.line": _attribute_line_written,
    "product.product": _product_barcode_unique,
}
BEFORE_UNLINK: dict[str, Callable[[Env, list[int]], None]] = {
    "sale.order.line": _line_unlink,
    "sale.order": _order_unlink,
}


def _quant_write(env: Env, ids: list[int], vals: Row) -> Row:
    if "inventory_quantity" in vals:
        if not env.context.get("inventory_mode"):
            raise UserError("Quant's editing is restricted, you can't do this operation.")
        vals["inventory_quantity_set"] = True
    if "quantity" in vals and not env.context.get("inventory_mode"):
        raise UserError("Quant's editing is restricted, you can't do this operation.")
    return vals


BEFORE_WRITE["stock.quant"] = _quant_write


def install(env: Env) -> None:
    env.display.update(DISPLAY)
    env.computes.update(COMPUTES)
    env.before_create.update(BEFORE_CREATE)
    env.after_create.update(AFTER_CREATE)
    env.before_write.update(BEFORE_WRITE)
    env.after_write.update(AFTER_WRITE)
    env.before_unlink.update(BEFORE_UNLINK)
