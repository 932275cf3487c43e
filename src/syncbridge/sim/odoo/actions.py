"""The business methods (``action_*``) of the simulated models and ``stock.quant.create`` in inventory mode."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from syncbridge.sim.odoo.exceptions import PyValueError, UserError
from syncbridge.sim.odoo.orm import Env, Row

Method = Callable[[Env, list[int], dict[str, Any]], Any]


# -- business methods ----------------------------------------------------------------------------------------
def _apply_inventory(env: Env, ids: list[int], kwargs: dict[str, Any]) -> None:
    for row in env.ensure("stock.quant", ids):
        if row["inventory_quantity_set"]:
            env.touch(
                "stock.quant",
                row["id"],
                quantity=row["inventory_quantity"],
                inventory_quantity=0.0,
                inventory_quantity_set=False,
            )
    env.write_count += 1
    return None


def _order_confirm(env: Env, ids: list[int], kwargs: dict[str, Any]) -> bool:
    rows = env.ensure("sale.order", ids)
    if any(r["state"] not in {"draft", "sent"} for r in rows):
        raise UserError("Some orders are not in a state requiring confirmation.")
    for row in rows:
        env.create("stock.picking", {"name": f"WH/OUT/{row['id']:05d}", "sale_id": row["id"]})
        env.touch("sale.order", row["id"], state="sale")
        partner = env["res.partner"][row["partner_id"]]
        env.touch("res.partner", partner["id"], customer_rank=partner["customer_rank"] + 1)
    return True


def _order_cancel(env: Env, ids: list[int], kwargs: dict[str, Any]) -> bool:
    rows = env.ensure("sale.order", ids)
    if any(r.get("locked") or r["state"] == "done" for r in rows):
        raise UserError("You cannot cancel a locked order. Please unlock it first if you want to cancel it.")
    for row in rows:
        env.touch("sale.order", row["id"], state="cancel")
    return True


def _order_draft(env: Env, ids: list[int], kwargs: dict[str, Any]) -> bool:
    for row in env.ensure("sale.order", ids):
        if row["state"] in {"cancel", "sent"}:
            env.touch("sale.order", row["id"], state="draft")
    return True


def _order_lock(env: Env, ids: list[int], kwargs: dict[str, Any]) -> bool:
    for row in env.ensure("sale.order", ids):
        if row["state"] != "sale":
            raise UserError("Only confirmed orders can be locked.")
        env.touch("sale.order", row["id"], **({"locked": True} if env.version >= 17 else {"state": "done"}))
    return True


def _order_unlock(env: Env, ids: list[int], kwargs: dict[str, Any]) -> bool:
    for row in env.ensure("sale.order", ids):
        env.touch("sale.order", row["id"], **({"locked": False} if env.version >= 17 else {"state": "sale"}))
    return True


def _payment_post(env: Env, ids: list[int], kwargs: dict[str, Any]) -> None:
    for row in env.ensure("account.payment", ids):
        if row["state"] != "draft":
            raise UserError("Only a draft payment can be posted.")
        journal = env["account.journal"][row["journal_id"]]
        seq = env.next_sequence(f"payment.{journal['code']}")
        name = f"P{journal['code']}/{row['date'][:4]}/{seq:05d}"
        memo = row.get("memo") if env.version >= 18 else row.get("ref")
        move = env.create("account.move", {"name": name, "ref": memo or False, "state": "posted"})
        env.touch(
            "account.payment",
            row["id"],
            name=name,
            move_id=move,
            state="in_process" if env.version >= 18 else "posted",
        )
    return None


def _payment_state(target: str, allowed: set[str]) -> Method:
    def action(env: Env, ids: list[int], kwargs: dict[str, Any]) -> None:
        for row in env.ensure("account.payment", ids):
            if row["state"] not in allowed:
                raise UserError(f"This payment cannot be moved from {row['state']!r} to {target!r}.")
            env.touch("account.payment", row["id"], state=target)
        return None

    return action


def _archive(active: bool) -> Callable[[Env, str, list[int]], bool]:
    def action(env: Env, model: str, ids: list[int]) -> bool:
        if "active" not in env[model].fields:
            raise PyValueError(f"Model {model} has no 'active' field")
        return env.write(model, ids, {"active": active})

    return action


ARCHIVE = _archive(False)
UNARCHIVE = _archive(True)


def methods(version: int) -> dict[tuple[str, str], Method]:
    table: dict[tuple[str, str], Method] = {
        ("stock.quant", "action_apply_inventory"): _apply_inventory,
        ("sale.order", "action_confirm"): _order_confirm,
        ("sale.order", "action_cancel"): _order_cancel,
        ("sale.order", "action_draft"): _order_draft,
        ("sale.order", "action_unlock"): _order_unlock,
        ("account.payment", "action_post"): _payment_post,
    }
    if version >= 17:
        table[("sale.order", "action_lock")] = _order_lock
    else:
        table[("sale.order", "action_done")] = _order_lock
    if version >= 18:
        table[("account.payment", "action_validate")] = _payment_state("paid", {"in_process"})
        table[("account.payment", "action_reject")] = _payment_state("rejected", {"in_process"})
        table[("account.payment", "action_cancel")] = _payment_state("canceled", {"draft"})
        table[("account.payment", "action_draft")] = _payment_state(
            "draft", {"canceled", "in_process", "rejected", "paid"}
        )
    else:
        table[("account.payment", "action_cancel")] = _payment_state("cancel", {"draft"})
        table[("account.payment", "action_draft")] = _payment_state("draft", {"cancel", "posted"})
    return table


def quant_create(env: Env, vals: Row) -> int:
    """``stock.quant.create`` in inventory mode: one quant per (product, location), updated if found."""
    if not env.context.get("inventory_mode"):
        raise UserError("Quant's creation is restricted, you can't do this operation.")
    quants = env["stock.quant"]
    for rid in sorted(quants.lookup("product_id", vals.get("product_id", False))):
        if quants[rid]["location_id"] == vals.get("location_id"):
            if "inventory_quantity" in vals:
                env.write("stock.quant", [rid], {"inventory_quantity": vals["inventory_quantity"]})
            return rid
    fields = dict(vals)
    if "inventory_quantity" in fields:
        fields["inventory_quantity_set"] = True
    return env.create("stock.quant", fields)
