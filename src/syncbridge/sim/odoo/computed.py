"""Computed fields and display names of the simulated models (read-time, never stored)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from syncbridge.sim.odoo.orm import Env, Row


# -- display names -------------------------------------------------------------------------------------------
def _partner_name(env: Env, row: Row) -> str:
    name = row.get("name") or ""
    parent = row.get("parent_id")
    if parent and parent in env["res.partner"].rows:
        parent_name = env.display_name("res.partner", env["res.partner"][parent])
        return f"{parent_name}, {name}" if name else parent_name
    return str(name)


def _variant_values(env: Env, row: Row) -> str:
    ptavs = env["product.template.attribute.value"]
    names = [
        env.value("product.template.attribute.value", ptavs[i], "name")
        for i in row.get("product_template_attribute_value_ids", [])
        if i in ptavs.rows
    ]
    return ", ".join(str(n) for n in names)


def product_display(env: Env, row: Row) -> str:
    name = env.value("product.product", row, "name") or ""
    code = row.get("default_code")
    text = f"[{code}] {name}" if code else str(name)
    values = _variant_values(env, row)
    return f"{text} ({values})" if values else text


def _template_name(env: Env, row: Row) -> str:
    code = env.value("product.template", row, "default_code")
    return f"[{code}] {row['name']}" if code else str(row["name"])


def _move_name(env: Env, row: Row) -> str:
    return f"{row['name']} ({row['ref']})" if row.get("ref") else str(row.get("name") or "/")


DISPLAY: dict[str, Callable[[Env, Row], str]] = {
    "res.partner": _partner_name,
    "product.product": product_display,
    "product.template": _template_name,
    "stock.location": lambda env, row: str(row.get("complete_name") or row["name"]),
    "account.move": _move_name,
    "stock.quant": lambda env, row: product_display(env, env["product.product"][row["product_id"]]),
    "sale.order.line": lambda env, row: f"{env['sale.order'][row['order_id']]['name']} - {row['name']}",
    "res.country.state": lambda env, row: f"{row['name']} ({env['res.country'][row['country_id']]['code']})",
    "product.template.attribute.value": lambda env, row: (
        f"{env.value('product.template.attribute.value', row, 'attribute_id') and env['product.attribute'][env.value('product.template.attribute.value', row, 'attribute_id')]['name']}: "  # noqa: E501
        f"{env.value('product.template.attribute.value', row, 'name')}"
    ),
}


# -- computed fields -----------------------------------------------------------------------------------------
def variants_of(env: Env, template_id: int) -> list[Row]:
    table = env["product.product"]
    return [table[i] for i in sorted(table.lookup("product_tmpl_id", template_id)) if table[i].get("active")]


def _single_variant_field(fname: str) -> Callable[[Env, str, Row], Any]:
    def compute(env: Env, model: str, row: Row) -> Any:
        variants = variants_of(env, row["id"])
        if len(variants) == 1:
            return variants[0].get(fname, False)
        return 0.0 if fname == "standard_price" else False

    return compute


def _qty_available(env: Env, product_id: int) -> float:
    quants = env["stock.quant"]
    locations = env["stock.location"]
    return float(
        sum(
            quants[q]["quantity"]
            for q in quants.lookup("product_id", product_id)
            if locations[quants[q]["location_id"]]["usage"] == "internal"
        )
    )


def _reserved(env: Env, product_id: int) -> float:
    quants = env["stock.quant"]
    return float(sum(quants[q]["reserved_quantity"] for q in quants.lookup("product_id", product_id)))


def _outgoing(env: Env, product_id: int) -> float:
    lines, orders = env["sale.order.line"], env["sale.order"]
    return float(
        sum(
            lines[i]["product_uom_qty"] - lines[i]["qty_delivered"]
            for i in lines.lookup("product_id", product_id)
            if orders[lines[i]["order_id"]]["state"] in {"sale", "done"}
        )
    )


def _price_extra(env: Env, model: str, row: Row) -> float:
    ptavs = env["product.template.attribute.value"]
    return float(
        sum(ptavs[i]["price_extra"] for i in row.get("product_template_attribute_value_ids", []) if i in ptavs.rows)
    )


def _line_amounts(env: Env, row: Row) -> tuple[float, float]:
    subtotal = row["product_uom_qty"] * row["price_unit"] * (1 - (row.get("discount") or 0.0) / 100.0)
    taxes = env["account.tax"]
    rate = sum(taxes[t]["amount"] for t in row.get("tax_id", []) if t in taxes.rows)
    return round(subtotal, 2), round(subtotal * rate / 100.0, 2)


def _order_amounts(env: Env, row: Row) -> tuple[float, float]:
    lines = env["sale.order.line"]
    untaxed = tax = 0.0
    for i in lines.lookup("order_id", row["id"]):
        sub, t = _line_amounts(env, lines[i])
        untaxed, tax = untaxed + sub, tax + t
    return round(untaxed, 2), round(tax, 2)


def _delivery_status(env: Env, model: str, row: Row) -> Any:
    return "pending" if row["state"] in {"sale", "done"} else False


def _invoice_status(env: Env, model: str, row: Row) -> Any:
    return "to invoice" if row["state"] in {"sale", "done"} else "no"


COMPUTES: dict[tuple[str, str], Callable[[Env, str, Row], Any]] = {
    ("product.template", "default_code"): _single_variant_field("default_code"),
    ("product.template", "barcode"): _single_variant_field("barcode"),
    ("product.template", "standard_price"): _single_variant_field("standard_price"),
    ("product.template", "product_variant_count"): lambda env, m, row: len(variants_of(env, row["id"])),
    ("product.template", "qty_available"): lambda env, m, row: float(
        sum(_qty_available(env, v["id"]) for v in variants_of(env, row["id"]))
    ),
    ("product.template", "virtual_available"): lambda env, m, row: float(
        sum(_qty_available(env, v["id"]) - _outgoing(env, v["id"]) for v in variants_of(env, row["id"]))
    ),
    ("product.template", "currency_id"): lambda env, m, row: 1,
    ("product.product", "price_extra"): _price_extra,
    ("product.product", "lst_price"): lambda env, m, row: round(
        env.value(m, row, "list_price") + _price_extra(env, m, row), 2
    ),
    ("product.product", "qty_available"): lambda env, m, row: _qty_available(env, row["id"]),
    ("product.product", "virtual_available"): lambda env, m, row: (
        _qty_available(env, row["id"]) - _outgoing(env, row["id"])
    ),
    ("product.product", "free_qty"): lambda env, m, row: _qty_available(env, row["id"]) - _reserved(env, row["id"]),
    ("stock.quant", "inventory_diff_quantity"): lambda env, m, row: (
        row["inventory_quantity"] - row["quantity"] if row["inventory_quantity_set"] else 0.0
    ),
    ("stock.quant", "available_quantity"): lambda env, m, row: row["quantity"] - row["reserved_quantity"],
    ("sale.order.line", "price_subtotal"): lambda env, m, row: _line_amounts(env, row)[0],
    ("sale.order.line", "price_tax"): lambda env, m, row: _line_amounts(env, row)[1],
    ("sale.order.line", "price_total"): lambda env, m, row: round(sum(_line_amounts(env, row)), 2),
    ("sale.order", "amount_untaxed"): lambda env, m, row: _order_amounts(env, row)[0],
    ("sale.order", "amount_tax"): lambda env, m, row: _order_amounts(env, row)[1],
    ("sale.order", "amount_total"): lambda env, m, row: round(sum(_order_amounts(env, row)), 2),
    ("sale.order", "invoice_status"): _invoice_status,
    ("sale.order", "delivery_status"): _delivery_status,
    ("account.payment", "is_reconciled"): lambda env, m, row: row["state"] == "paid",
    ("account.payment", "is_matched"): lambda env, m, row: row["state"] == "paid",
    ("res.partner", "commercial_company_name"): lambda env, m, row: (
        env["res.partner"][row["parent_id"]]["name"]
        if row.get("parent_id")
        else (row["name"] if row.get("is_company") else False)
    ),
    ("product.product", "type"): lambda env, m, row: _template_type(env, row),
    ("product.template", "type"): lambda env, m, row: (
        row.get("type") if env.version >= 18 else row.get("detailed_type")
    ),
}


def _template_type(env: Env, row: Row) -> Any:
    template = env["product.template"][row["product_tmpl_id"]]
    return template.get("type") if env.version >= 18 else template.get("detailed_type")
