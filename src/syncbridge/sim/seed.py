"""A deterministic generator of realistic shop data, as canonical records.

It includes the awkward cases a real shop has: non-ASCII names, long strings, guest orders, two customers that
share an e-mail (in another case), partial refunds, and a few records the other side refuses (invalid e-mails,
which WooCommerce rejects and Odoo accepts).
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from syncbridge.domain.records import (
    Address,
    Customer,
    Order,
    OrderLine,
    OrderStatus,
    Payment,
    PaymentState,
    Product,
    ProductStatus,
    StockLevel,
    Variant,
)

FIRST = (
    "Ana",
    "José",
    "Zoë",
    "Łukasz",
    "Søren",
    "Chloé",
    "Mehmet",
    "Aiko",
    "Björn",
    "Priya",
    "Olúwadámilọ́lá",
    "Jean-Luc",
    "Mary Ann",
    "Wei",
    "Fatima",
    "Ngozi",
    "Émile",
    "Noah",
    "Olivia",
    "Liam",
)
LAST = (
    "Müller",
    "García",
    "Ørsted",
    "Nowak",
    "O'Brien",
    "Dubois",
    "Yılmaz",
    "Tanaka",
    "Lindqvist",
    "Sharma",
    "Adébáyọ̀",
    "Picard",
    "van der Berg",
    "Zhang",
    "Haddad",
    "Okafor",
    "Zola",
    "Smith",
    "Johnson",
    "Brown",
)
CITIES = (
    ("Berlin", "DE", "BE", "10115"),
    ("Paris", "FR", "", "75001"),
    ("London", "GB", "", "SW1A 1AA"),
    ("San Francisco", "US", "CA", "94103"),
    ("New York", "US", "NY", "10001"),
    ("Madrid", "ES", "", "28001"),
    ("Kraków", "PL", "", "30-001"),
    ("København", "DK", "", "1050"),
    ("Austin", "US", "TX", "73301"),
)
STREETS = ("Hauptstraße", "Rue de Rivoli", "Baker Street", "Market Street", "Calle Mayor", "Ulica Floriańska")
NOUNS = ("T-shirt", "Mug", "Poster", "Hoodie", "Notebook", "Backpack", "Café Blend", "Sticker", "Cap", "Lamp")
ADJECTIVES = (
    "Classic",
    "Organic",
    "Vintage",
    "Deluxe",
    "Mini",
    "Éco",
    "Limited",
    "Everyday",
    "Pro",
    "Nordic",
)
SIZES = ("S", "M", "L", "XL")
METHODS = (("stripe", "ch_"), ("paypal", "PAY-"), ("bacs", ""), ("cod", ""))
BASE_DATE = datetime(2026, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class SeedData:
    customers: list[Customer]
    products: list[Product]
    stock: list[StockLevel]
    orders: list[Order]
    payments: list[Payment]


def _address(rng: random.Random, company: str = "") -> Address:
    city, country, state, postcode = rng.choice(CITIES)
    return Address(
        company=company,
        street=f"{rng.choice(STREETS)} {rng.randint(1, 200)}",
        street2=rng.choice(("", "", "", "Apt 4", "2. OG")),
        city=city,
        state=state,
        postcode=postcode,
        country=country,
    )


def _customers(rng: random.Random, n: int) -> list[Customer]:
    out: list[Customer] = []
    for i in range(n):
        first, last = rng.choice(FIRST), rng.choice(LAST)
        email = f"customer{i:06d}@example.com"
        if i % 500 == 499:
            email = f"invalid-email-{i:06d}"  # WooCommerce refuses it; Odoo takes it
        billing = _address(rng, company=rng.choice(("", "", "", "ACME GmbH", "Société Générale")))
        shipping = billing if rng.random() < 0.8 else _address(rng)
        name = f"{first} {last}"
        if i % 997 == 0:
            name = f"{first} {last} " + "Longname" * 20
        out.append(Customer(email=email, name=name, phone=f"+1 555 {i:07d}", billing=billing, shipping=shipping))
    if n >= 4:
        # Two customers sharing one e-mail, in another case: a real shop's classic duplicate.
        twin = out[1]
        out[3] = Customer(
            email=twin.email.upper(),
            name=out[3].name,
            phone=out[3].phone,
            billing=out[3].billing,
            shipping=out[3].shipping,
        )
    return out


def _price(rng: random.Random) -> Decimal:
    return Decimal(rng.randint(199, 19999)) / 100


def _products(rng: random.Random, n: int) -> list[Product]:
    out: list[Product] = []
    for i in range(n):
        sku = f"SKU-{i:06d}"
        name = f"{rng.choice(ADJECTIVES)} {rng.choice(NOUNS)} {i}"
        price = _price(rng)
        status = ProductStatus.ACTIVE if rng.random() < 0.95 else ProductStatus.DRAFT
        variants: tuple[Variant, ...] = ()
        if i % 5 == 4:
            sizes = SIZES[: rng.randint(2, 4)]
            # A variant of an unpublished product is not on sale either (Odoo keeps sale_ok on the template).
            variants = tuple(
                Variant(
                    sku=f"{sku}-{s}",
                    name=f"Size: {s}",
                    regular_price=price + Decimal(k),
                    manage_stock=True,
                    status=status,
                )
                for k, s in enumerate(sizes)
            )
        out.append(
            Product(
                sku=sku,
                name=name,
                regular_price=price,
                manage_stock=rng.random() < 0.9 or bool(variants),
                status=status,
                variants=variants,
            )
        )
    return out


def _stock(rng: random.Random, products: list[Product]) -> list[StockLevel]:
    out: list[StockLevel] = []
    for product in products:
        if product.variants:
            out.extend(StockLevel(sku=v.sku, quantity=Decimal(rng.randint(0, 200))) for v in product.variants)
        elif product.manage_stock:
            out.append(StockLevel(sku=product.sku, quantity=Decimal(rng.randint(0, 500))))
    return out


def _sellable(products: list[Product]) -> list[tuple[str, str, Decimal]]:
    items: list[tuple[str, str, Decimal]] = []
    for p in products:
        if p.variants:
            items.extend((v.sku, f"{p.name} - {v.name}", v.regular_price) for v in p.variants)
        else:
            items.append((p.sku, p.name, p.regular_price))
    return items


def _orders_and_payments(
    rng: random.Random, n: int, customers: list[Customer], products: list[Product]
) -> tuple[list[Order], list[Payment]]:
    orders: list[Order] = []
    payments: list[Payment] = []
    sellable = _sellable(products)
    if not sellable:
        return orders, payments
    statuses = (
        OrderStatus.PENDING,
        OrderStatus.PROCESSING,
        OrderStatus.COMPLETED,
        OrderStatus.COMPLETED,
        OrderStatus.CANCELLED,
    )
    valid_customers = [c for c in customers if "@" in c.email]
    for i in range(n):
        number = str(1000 + i)
        lines = tuple(
            OrderLine(sku=sku, name=name, quantity=Decimal(rng.randint(1, 3)), unit_price=price)
            for sku, name, price in rng.sample(sellable, k=min(len(sellable), rng.randint(1, 4)))
        )
        total = sum((line.total for line in lines), Decimal(0))
        guest = rng.random() < 0.1 or not valid_customers
        email = "" if guest else rng.choice(valid_customers).email.lower()
        status = rng.choice(statuses)
        created = BASE_DATE + timedelta(minutes=rng.randint(0, 90 * 24 * 60))
        currency = "EUR" if rng.random() < 0.7 else "USD"
        method, prefix = rng.choice(METHODS)
        orders.append(
            Order(
                number=number,
                status=status,
                currency=currency,
                customer_email=email,
                lines=lines,
                total=total,
                created_at=created,
                payment_method=method,
            )
        )
        if status in {OrderStatus.PROCESSING, OrderStatus.COMPLETED}:
            paid_at = created + timedelta(minutes=rng.randint(1, 120))
            txn = f"{prefix}{rng.getrandbits(48):012x}" if prefix else ""
            payments.append(
                Payment(
                    reference=number,
                    order_number=number,
                    amount=total,
                    currency=currency,
                    method=method,
                    state=PaymentState.PAID,
                    transaction_id=txn,
                    paid_at=paid_at,
                )
            )
            if rng.random() < 0.05:
                refund = (total / 2).quantize(Decimal("0.01"))
                payments.append(
                    Payment(
                        reference=f"{number}/R1",
                        order_number=number,
                        amount=refund,
                        currency=currency,
                        method=method,
                        state=PaymentState.REFUNDED,
                        paid_at=paid_at + timedelta(days=3),
                    )
                )
    return orders, payments


def generate(*, customers: int, products: int, orders: int, seed: int = 1) -> SeedData:
    rng = random.Random(seed)
    cust = _customers(rng, customers)
    prods = _products(rng, products)
    stock = _stock(rng, prods)
    ords, pays = _orders_and_payments(rng, orders, cust, prods)
    return SeedData(customers=cust, products=prods, stock=stock, orders=ords, payments=pays)
