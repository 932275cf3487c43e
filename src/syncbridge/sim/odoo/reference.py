"""The records a fresh Odoo database has before anyone syncs: company, users, countries and states,
currencies, the default sale tax, journals, the main warehouse and its stock location."""

from __future__ import annotations

from syncbridge.sim.odoo.orm import Env

COUNTRIES: tuple[tuple[str, str], ...] = (
    ("US", "United States"),
    ("DE", "Germany"),
    ("FR", "France"),
    ("GB", "United Kingdom"),
    ("ES", "Spain"),
    ("IT", "Italy"),
    ("NL", "Netherlands"),
    ("BE", "Belgium"),
    ("PL", "Poland"),
    ("DK", "Denmark"),
    ("SE", "Sweden"),
    ("AT", "Austria"),
    ("CH", "Switzerland"),
    ("CA", "Canada"),
    ("IE", "Ireland"),
    ("PT", "Portugal"),
    ("JP", "Japan"),
    ("AU", "Australia"),
    ("BR", "Brazil"),
    ("IN", "India"),
    ("CN", "China"),
    ("NG", "Nigeria"),
    ("TR", "Türkiye"),
    ("MX", "Mexico"),
)
STATES: tuple[tuple[str, str, str], ...] = (
    ("US", "CA", "California"),
    ("US", "NY", "New York"),
    ("US", "TX", "Texas"),
    ("US", "WA", "Washington"),
    ("US", "FL", "Florida"),
    ("US", "IL", "Illinois"),
    ("DE", "BE", "Berlin"),
    ("DE", "BY", "Bayern"),
    ("DE", "HH", "Hamburg"),
    ("CA", "ON", "Ontario"),
    ("CA", "QC", "Quebec"),
    ("AU", "NSW", "New South Wales"),
    ("IN", "MH", "Maharashtra"),
    ("BR", "SP", "São Paulo"),
    ("MX", "CMX", "Ciudad de México"),
)
CURRENCIES: tuple[tuple[str, str], ...] = (
    ("USD", "$"),
    ("EUR", "€"),
    ("GBP", "£"),
    ("CHF", "CHF"),
    ("DKK", "kr"),
    ("PLN", "zł"),
    ("SEK", "kr"),
    ("JPY", "¥"),
    ("CAD", "$"),
    ("AUD", "$"),
)


def seed_reference(env: Env, *, login: str) -> None:
    env.create("res.company", {"name": "My Company"})
    env.create("res.users", {"name": "OdooBot", "login": "__system__"})
    env.create("res.users", {"name": "Administrator", "login": login})
    for code, name in COUNTRIES:
        env.create("res.country", {"name": name, "code": code})
    countries = {row["code"]: row["id"] for row in env["res.country"]}
    for country, code, name in STATES:
        env.create("res.country.state", {"name": name, "code": code, "country_id": countries[country]})
    for name, symbol in CURRENCIES:
        env.create("res.currency", {"name": name, "symbol": symbol})
    env.create("product.category", {"name": "All"})
    env.create("uom.uom", {"name": "Units"})
    env.create("account.tax", {"name": "15%", "amount": 15.0, "type_tax_use": "sale"})
    for name, code, kind in (
        ("Customer Invoices", "INV", "sale"),
        ("Vendor Bills", "BILL", "purchase"),
        ("Miscellaneous Operations", "MISC", "general"),
        ("Exchange Difference", "EXCH", "general"),
        ("Cash", "CSH1", "cash"),
        ("Bank", "BNK1", "bank"),
    ):
        env.create("account.journal", {"name": name, "code": code, "type": kind})
    env.create("stock.location", {"name": "Partners", "complete_name": "Partners", "usage": "view"})
    env.create("stock.location", {"name": "Vendors", "complete_name": "Partners/Vendors", "usage": "supplier"})
    env.create("stock.location", {"name": "Customers", "complete_name": "Partners/Customers", "usage": "customer"})
    env.create("stock.location", {"name": "Virtual Locations", "complete_name": "Virtual Locations", "usage": "view"})
    env.create(
        "stock.location",
        {
            "name": "Inventory adjustment",
            "complete_name": "Virtual Locations/Inventory adjustment",
            "usage": "inventory",
        },
    )
    env.create("stock.location", {"name": "WH", "complete_name": "WH", "usage": "view"})
    env.create("stock.location", {"name": "Scrap", "complete_name": "Virtual Locations/Scrap", "usage": "inventory"})
    stock = env.create("stock.location", {"name": "Stock", "complete_name": "WH/Stock", "usage": "internal"})
    env.create("stock.warehouse", {"name": "My Company", "code": "WH", "lot_stock_id": stock})
    env.create("res.partner", {"name": "My Company", "is_company": True, "email": "info@yourcompany.example"})
    env.create("res.partner", {"name": "Administrator", "email": "admin@yourcompany.example"})
