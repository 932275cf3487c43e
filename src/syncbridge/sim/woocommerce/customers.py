"""Customer writes: required and unique e-mail (case-insensitive, like MySQL), unique username, no trash."""

from __future__ import annotations

import re

from syncbridge.sim.woocommerce import params
from syncbridge.sim.woocommerce.errors import WcError
from syncbridge.sim.woocommerce.rows import ADDRESS_KEYS, CustomerRow, Json
from syncbridge.sim.woocommerce.store import Store


def customer_or_404(store: Store, customer_id: int, *, code: str = "woocommerce_rest_invalid_id") -> CustomerRow:
    row = store.customers.get(customer_id)
    if row is None:
        message = "Invalid user ID." if code == "wc_user_invalid_id" else "Invalid resource id."
        raise WcError(404, code, message)
    return row


def _address(name: str, value: object, *, with_email: bool) -> dict[str, str]:
    data = params.json_object(name, value)
    keys = (*ADDRESS_KEYS, "phone", *(("email",) if with_email else ()))
    out = {k: params.string(f"{name}[{k}]", data[k]) for k in keys if k in data}
    if with_email and out.get("email") and not params.is_email(out["email"]):
        raise WcError(400, "customer_invalid_billing_email", "Invalid billing email address.")
    return out


def _username(store: Store, email: str) -> str:
    base = re.sub(r"[^a-z0-9._-]", "", email.split("@", 1)[0].lower()) or "customer"
    candidate, n = base, 1
    while candidate in store.username_index:
        n += 1
        candidate = f"{base}{n}"
    return candidate


def _apply(store: Store, row: CustomerRow, body: Json) -> None:
    changes: dict[str, object] = {}
    for key in ("first_name", "last_name"):
        if key in body:
            changes[key] = params.string(key, body[key])
    billing = _address("billing", body["billing"], with_email=True) if "billing" in body else None
    shipping = _address("shipping", body["shipping"], with_email=False) if "shipping" in body else None
    if "meta_data" in body:
        changes["meta_data"] = [
            {"id": store.next_id("meta"), "key": str(m.get("key", "")), "value": m.get("value")}
            for m in params.json_list("meta_data", body["meta_data"])
            if isinstance(m, dict)
        ]
    for key, value in changes.items():
        setattr(row, key, value)
    if billing is not None:
        row.billing.update(billing)
    if shipping is not None:
        row.shipping.update(shipping)


def create_customer(store: Store, body: Json) -> CustomerRow:
    if "email" not in body:
        raise WcError(400, "rest_missing_callback_param", "Missing parameter(s): email", params=["email"])
    email = params.email("email", body["email"])
    if email.lower() in store.email_index:
        raise WcError(
            400,
            "registration-error-email-exists",
            f"An account is already registered with {email}. Please log in or use a different email address.",
        )
    username = params.string("username", body["username"]).strip() if body.get("username") else ""
    if username and username in store.username_index:
        raise WcError(
            400,
            "registration-error-username-exists",
            "An account is already registered with that username. Please choose another.",
        )
    now = store.now()
    row = CustomerRow(id=0, email=email, username=username or _username(store, email), created=now, modified=now)
    _apply(store, row, body)
    row.id = store.next_id("user")
    store.customers[row.id] = row
    store.email_index[email.lower()] = row.id
    store.username_index.add(row.username)
    store.index_add("customers", row.id, now, False)
    store.emit("customer", "created", row.id)
    return row


def update_customer(store: Store, row: CustomerRow, body: Json) -> CustomerRow:
    new_email = None
    if "email" in body:
        new_email = params.email("email", body["email"])
        holder = store.email_index.get(new_email.lower())
        if holder is not None and holder != row.id:
            raise WcError(400, "woocommerce_rest_customer_invalid_email", "Email address is invalid.")
    _apply(store, row, body)
    if new_email is not None:
        store.email_index.pop(row.email.lower(), None)
        row.email = new_email
        store.email_index[new_email.lower()] = row.id
    store.touch_customer(row)
    store.emit("customer", "updated", row.id)
    return row


def delete_customer(store: Store, row: CustomerRow, *, force: bool) -> None:
    if not force:
        raise WcError(501, "woocommerce_rest_trash_not_supported", "Customers do not support trashing.")
    store.index_remove("customers", row.id, row.modified)
    del store.customers[row.id]
    store.email_index.pop(row.email.lower(), None)
    store.username_index.discard(row.username)
    store.emit("customer", "deleted", row.id)
