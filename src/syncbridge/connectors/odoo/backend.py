"""The connector's view of one Odoo database: the client, the version, and cached reference lookups
(countries, states, currencies, journals, the main stock location, the guest partner, attribute values)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import Any

from syncbridge.connectors.odoo.client import OdooClient
from syncbridge.errors import NotFoundError, ValidationError

NO_ACTIVE_TEST = {"active_test": False}
GUEST_REF = "syncbridge-guest"


def chunks(items: Sequence[Any], size: int) -> Iterable[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


class OdooBackend:
    def __init__(self, client: OdooClient, version: int) -> None:
        self.client = client
        self.version = version
        self._countries: dict[str, int] | None = None
        self._country_codes: dict[int, str] = {}
        self._states: dict[tuple[int, str], int] = {}
        self._state_codes: dict[int, str] = {}
        self._currencies: dict[str, int] = {}
        self._journals: dict[str, int] | None = None
        self._location: int | None = None
        self._guest: int | None = None

    # -- calls ---------------------------------------------------------------------------------------------
    def read(self, model: str, method: str, *args: Any, **kwargs: Any) -> Any:
        return self.client.execute(model, method, *args, retry=True, **kwargs)

    def write(self, model: str, method: str, *args: Any, **kwargs: Any) -> Any:
        return self.client.execute(model, method, *args, retry=False, **kwargs)

    def search_read(self, model: str, domain: list[Any], fields: list[str], **kwargs: Any) -> list[dict[str, Any]]:
        rows: list[dict[str, Any]] = self.read(model, "search_read", domain, fields=fields, **kwargs)
        return rows

    # -- countries and states ------------------------------------------------------------------------------
    def _load_geo(self) -> None:
        if self._countries is not None:
            return
        rows = self.search_read("res.country", [], ["code"])
        self._countries = {str(r["code"]).upper(): r["id"] for r in rows if r["code"]}
        self._country_codes = {r["id"]: str(r["code"]).upper() for r in rows if r["code"]}
        for r in self.search_read("res.country.state", [], ["code", "country_id"]):
            country = r["country_id"][0] if r["country_id"] else 0
            self._states[(country, str(r["code"]).upper())] = r["id"]
            self._state_codes[r["id"]] = str(r["code"]).upper()

    @property
    def country_codes(self) -> dict[int, str]:
        self._load_geo()
        return self._country_codes

    @property
    def state_codes(self) -> dict[int, str]:
        self._load_geo()
        return self._state_codes

    def geo_ids(self, country: str, state: str) -> tuple[int | None, int | None]:
        """(state id, country id); unknown codes are a ValidationError."""
        self._load_geo()
        assert self._countries is not None
        if not country:
            if state:
                raise ValidationError(f"state {state!r} without a country")
            return None, None
        country_id = self._countries.get(country.upper())
        if country_id is None:
            raise ValidationError(f"Odoo knows no country with code {country!r}", code="unknown_country")
        if not state:
            return None, country_id
        state_id = self._states.get((country_id, state.upper()))
        if state_id is None:
            raise ValidationError(f"Odoo knows no state {state!r} in {country!r}", code="unknown_state")
        return state_id, country_id

    # -- currencies, journals, stock location, guest partner -----------------------------------------------
    def currency_id(self, name: str) -> int:
        if name not in self._currencies:
            rows = self.search_read("res.currency", [("name", "=", name)], ["name"], context=NO_ACTIVE_TEST)
            if not rows:
                raise ValidationError(f"Odoo has no currency {name!r}", code="unknown_currency")
            self._currencies[name] = rows[0]["id"]
        return self._currencies[name]

    def journal_id(self, method: str) -> int:
        """The bank or cash journal named like the payment method; created (type bank) when there is none."""
        if self._journals is None:
            rows = self.search_read("account.journal", [("type", "in", ["bank", "cash"])], ["name", "code"])
            self._journals = {}
            for row in rows:
                self._journals.setdefault(str(row["name"]).lower(), row["id"])
                self._journals.setdefault(str(row["code"]).lower(), row["id"])
        key = (method or "bank").lower()
        if key not in self._journals:
            base = re.sub(r"[^A-Z0-9]", "", method.upper())[:4] or "PAY"
            codes = {str(r["code"]) for r in self.search_read("account.journal", [], ["code"])}
            code = next(c for c in (base, *(f"{base[:3]}{n}" for n in range(1, 100))) if c not in codes)
            self._journals[key] = self.write(
                "account.journal", "create", {"name": method, "code": code, "type": "bank"}
            )
        return self._journals[key]

    def stock_location_id(self) -> int:
        if self._location is None:
            rows = self.search_read("stock.warehouse", [], ["lot_stock_id"], limit=1, order="id asc")
            if not rows or not rows[0]["lot_stock_id"]:
                raise NotFoundError("Odoo has no warehouse with a stock location")
            self._location = int(rows[0]["lot_stock_id"][0])
        return self._location

    def guest_partner_id(self) -> int:
        """One partner for every guest order (Odoo requires a customer on a sale order)."""
        if self._guest is None:
            rows = self.search_read("res.partner", [("ref", "=", GUEST_REF)], ["name"], context=NO_ACTIVE_TEST)
            if rows:
                self._guest = int(rows[0]["id"])
            else:
                self._guest = int(
                    self.write("res.partner", "create", {"name": "Guest customer (syncbridge)", "ref": GUEST_REF})
                )
        return self._guest

    # -- product attributes ----------------------------------------------------------------------------------
    def attribute_value_ids(self, pairs: Sequence[tuple[str, str]]) -> dict[tuple[str, str], tuple[int, int]]:
        """(attribute, value) -> (attribute id, value id), creating the missing ones."""
        out: dict[tuple[str, str], tuple[int, int]] = {}
        names = sorted({a for a, _ in pairs})
        attributes = {
            r["name"]: r["id"] for r in self.search_read("product.attribute", [("name", "in", names)], ["name"])
        }
        for name in names:
            if name not in attributes:
                attributes[name] = int(self.write("product.attribute", "create", {"name": name}))
        values = self.search_read(
            "product.attribute.value", [("attribute_id", "in", list(attributes.values()))], ["name", "attribute_id"]
        )
        known = {(r["attribute_id"][0], r["name"]): r["id"] for r in values}
        for attribute, value in pairs:
            attribute_id = attributes[attribute]
            value_id = known.get((attribute_id, value))
            if value_id is None:
                value_id = int(
                    self.write("product.attribute.value", "create", {"name": value, "attribute_id": attribute_id})
                )
                known[(attribute_id, value)] = value_id
            out[(attribute, value)] = (attribute_id, value_id)
        return out
