"""The fields each simulated model has, per Odoo version (16, 17, 18), as ``fields_get`` reports them.

Only the fields syncbridge and the real transcripts touch are modelled; ``compute`` names a function in
``computed.py`` (not stored, read-only), ``related`` a many2one path whose target field is read instead.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class Field:
    type: str
    string: str
    required: bool = False
    relation: str | None = None
    inverse: str | None = None  # one2many: the many2one on the related model
    selection: tuple[tuple[str, str], ...] | None = None
    compute: bool = False
    related: str | None = None  # "product_tmpl_id.list_price"
    index: bool = False
    default: Any = None  # None -> the type's empty value

    def describe(self, attributes: list[str] | None) -> dict[str, Any]:
        out: dict[str, Any] = {"string": self.string, "type": self.type, "required": self.required}
        if self.relation:
            out["relation"] = self.relation
        if self.selection is not None:
            out["selection"] = [list(pair) for pair in self.selection]
        out["readonly"] = self.compute or self.related is not None
        if attributes:
            out = {k: v for k, v in out.items() if k in attributes}
        return out

    @property
    def stored(self) -> bool:
        return not self.compute and self.related is None and self.type != "one2many"


def char(string: str, **kw: Any) -> Field:
    return Field("char", string, **kw)


def m2o(string: str, relation: str, **kw: Any) -> Field:
    return Field("many2one", string, relation=relation, index=True, **kw)


def o2m(string: str, relation: str, inverse: str, **kw: Any) -> Field:
    return Field("one2many", string, relation=relation, inverse=inverse, compute=False, **kw)


def m2m(string: str, relation: str, **kw: Any) -> Field:
    return Field("many2many", string, relation=relation, **kw)


def sel(string: str, pairs: tuple[tuple[str, str], ...], **kw: Any) -> Field:
    return Field("selection", string, selection=pairs, **kw)


def num(string: str, **kw: Any) -> Field:
    kw.setdefault("default", 0.0)
    return Field("float", string, **kw)


def money(string: str, **kw: Any) -> Field:
    kw.setdefault("default", 0.0)
    return Field("monetary", string, **kw)


def flag(string: str, **kw: Any) -> Field:
    kw.setdefault("default", False)
    return Field("boolean", string, **kw)


def integer(string: str, **kw: Any) -> Field:
    kw.setdefault("default", 0)
    return Field("integer", string, **kw)


COMMON: dict[str, Field] = {
    "id": Field("integer", "ID", compute=True),
    "display_name": char("Display Name", compute=True),
    "create_date": Field("datetime", "Created on", compute=True),
    "write_date": Field("datetime", "Last Updated on", compute=True),
    "create_uid": m2o("Created by", "res.users", compute=True),
    "write_uid": m2o("Last Updated by", "res.users", compute=True),
}

PARTNER_TYPES = (
    ("contact", "Contact"),
    ("invoice", "Invoice Address"),
    ("delivery", "Delivery Address"),
    ("other", "Other Address"),
)
PRODUCT_TYPE_18 = (("consu", "Goods"), ("service", "Service"), ("combo", "Combo"))
PRODUCT_TYPE_16 = (("consu", "Consumable"), ("service", "Service"), ("product", "Storable Product"))
PAYMENT_STATE_18 = (
    ("draft", "Draft"),
    ("in_process", "In Process"),
    ("paid", "Paid"),
    ("canceled", "Canceled"),
    ("rejected", "Rejected"),
)
PAYMENT_STATE_16 = (("draft", "Draft"), ("posted", "Posted"), ("cancel", "Cancelled"))
SALE_STATE_17 = (
    ("draft", "Quotation"),
    ("sent", "Quotation Sent"),
    ("sale", "Sales Order"),
    ("cancel", "Cancelled"),
)
SALE_STATE_16 = (
    ("draft", "Quotation"),
    ("sent", "Quotation Sent"),
    ("sale", "Sales Order"),
    ("done", "Locked"),
    ("cancel", "Cancelled"),
)


def _partner() -> dict[str, Field]:
    return {
        "name": char("Name", index=True),
        "email": char("Email"),
        "phone": char("Phone"),
        "mobile": char("Mobile"),
        "street": char("Street"),
        "street2": char("Street2"),
        "city": char("City"),
        "zip": char("Zip"),
        "state_id": m2o("State", "res.country.state"),
        "country_id": m2o("Country", "res.country"),
        "vat": char("Tax ID"),
        "company_name": char("Company Name"),
        "ref": char("Reference"),
        "is_company": flag("Is a Company"),
        "parent_id": m2o("Related Company", "res.partner"),
        "child_ids": o2m("Contact", "res.partner", "parent_id"),
        "type": sel("Address Type", PARTNER_TYPES, default="contact"),
        "customer_rank": integer("Customer Rank"),
        "supplier_rank": integer("Supplier Rank"),
        "active": flag("Active", default=True),
        "company_id": m2o("Company", "res.company"),
        "user_id": m2o("Salesperson", "res.users"),
        "category_id": m2m("Tags", "res.partner.category"),
        "commercial_company_name": char("Company Name Entity", compute=True),
    }


def _template(version: int) -> dict[str, Field]:
    fields: dict[str, Field] = {
        "name": char("Name", required=True),
        "default_code": char("Internal Reference", compute=True),
        "barcode": char("Barcode", compute=True),
        "list_price": num("Sales Price", default=1.0),
        "standard_price": num("Cost", compute=True),
        "sale_ok": flag("Sales", default=True),
        "purchase_ok": flag("Purchase", default=True),
        "active": flag("Active", default=True),
        "categ_id": m2o("Product Category", "product.category", required=True, default=1),
        "uom_id": m2o("Unit of Measure", "uom.uom", required=True, default=1),
        "taxes_id": m2m("Sales Taxes", "account.tax"),
        "attribute_line_ids": o2m("Product Attributes", "product.template.attribute.line", "product_tmpl_id"),
        "product_variant_ids": o2m("Products", "product.product", "product_tmpl_id", required=True),
        "product_variant_count": integer("# Product Variants", compute=True),
        "qty_available": num("Quantity On Hand", compute=True),
        "virtual_available": num("Forecasted Quantity", compute=True),
        "currency_id": m2o("Currency", "res.currency", compute=True),
        "invoice_policy": sel(
            "Invoicing Policy",
            (("order", "Ordered quantities"), ("delivery", "Delivered quantities")),
            default="order",
        ),
    }
    if version >= 18:
        fields["type"] = sel("Product Type", PRODUCT_TYPE_18, required=True, default="consu")
        fields["is_storable"] = flag("Track Inventory")
    else:
        fields["detailed_type"] = sel("Product Type", PRODUCT_TYPE_16, required=True, default="consu")
        fields["type"] = sel("Type", PRODUCT_TYPE_16, required=True, compute=True)
    return fields


def _variant(version: int) -> dict[str, Field]:
    template = _template(version)
    related = {
        name: Field(
            f.type,
            f.string,
            required=f.required,
            relation=f.relation,
            selection=f.selection,
            related=f"product_tmpl_id.{name}",
        )
        for name, f in template.items()
        if name
        in {
            "name",
            "list_price",
            "sale_ok",
            "categ_id",
            "uom_id",
            "taxes_id",
            "type",
            "is_storable",
            "detailed_type",
            "attribute_line_ids",
            "product_variant_ids",
            "product_variant_count",
            "currency_id",
            "purchase_ok",
        }
    }
    return {
        **related,
        "product_tmpl_id": m2o("Product Template", "product.template", required=True),
        "default_code": char("Internal Reference", index=True),
        "barcode": char("Barcode", index=True),  # Odoo: index="btree_not_null"
        "standard_price": num("Cost"),
        "active": flag("Active", default=True),
        "product_template_attribute_value_ids": m2m("Attribute Values", "product.template.attribute.value"),
        "price_extra": num("Variant Price Extra", compute=True),
        "lst_price": num("Sales Price", compute=True),
        "qty_available": num("Quantity On Hand", compute=True),
        "virtual_available": num("Forecasted Quantity", compute=True),
        "free_qty": num("Free To Use Quantity ", compute=True),
        "stock_quant_ids": o2m("Stock Quants", "stock.quant", "product_id"),
    }


def _payment(version: int) -> dict[str, Field]:
    fields: dict[str, Field] = {
        "name": char("Number"),
        "amount": money("Amount"),
        "payment_type": sel(
            "Payment Type", (("outbound", "Send"), ("inbound", "Receive")), required=True, default="inbound"
        ),
        "partner_type": sel(
            "Partner Type",
            (("customer", "Customer"), ("supplier", "Vendor")),
            required=True,
            default="customer",
        ),
        "partner_id": m2o("Customer/Vendor", "res.partner"),
        "journal_id": m2o("Journal", "account.journal", required=True),
        "currency_id": m2o("Currency", "res.currency"),
        "date": Field("date", "Date", required=True),
        "payment_reference": char("Payment Reference"),
        "move_id": m2o("Journal Entry", "account.move"),
        "is_reconciled": flag("Is Reconciled", compute=True),
        "is_matched": flag("Is Matched With a Bank Statement", compute=True),
        "payment_method_line_id": m2o("Payment Method", "account.payment.method.line"),
    }
    if version >= 18:
        fields["memo"] = char("Memo")
        fields["state"] = sel("State", PAYMENT_STATE_18, required=True, default="draft")
    else:
        fields["ref"] = char("Journal Entry Ref")
        fields["state"] = sel("Status", PAYMENT_STATE_16, required=True, default="draft")
    return fields


def _sale_order(version: int) -> dict[str, Field]:
    fields: dict[str, Field] = {
        "name": char("Order Reference", required=True),
        "partner_id": m2o("Customer", "res.partner", required=True),
        "partner_invoice_id": m2o("Invoice Address", "res.partner"),
        "partner_shipping_id": m2o("Delivery Address", "res.partner"),
        "client_order_ref": char("Customer Reference", index=True),
        "origin": char("Source Document"),
        "date_order": Field("datetime", "Order Date", required=True),
        "currency_id": m2o("Currency", "res.currency", default=1),
        "order_line": o2m("Order Lines", "sale.order.line", "order_id"),
        "amount_untaxed": money("Untaxed Amount", compute=True),
        "amount_tax": money("Taxes", compute=True),
        "amount_total": money("Total", compute=True),
        "invoice_status": sel(
            "Invoice Status",
            (
                ("upselling", "Upselling Opportunity"),
                ("invoiced", "Fully Invoiced"),
                ("to invoice", "To Invoice"),
                ("no", "Nothing to Invoice"),
            ),
            compute=True,
        ),
        "picking_ids": o2m("Transfers", "stock.picking", "sale_id"),
        "delivery_status": sel(
            "Delivery Status",
            (
                ("pending", "Not Delivered"),
                ("started", "Started"),
                ("partial", "Partially Delivered"),
                ("full", "Fully Delivered"),
            ),
            compute=True,
        ),
        "note": Field("html", "Terms and conditions"),
    }
    if version >= 17:
        fields["state"] = sel("Status", SALE_STATE_17, default="draft")
        fields["locked"] = flag("Locked")
    else:
        fields["state"] = sel("Status", SALE_STATE_16, default="draft")
    return fields


def _sale_line() -> dict[str, Field]:
    return {
        "order_id": m2o("Order Reference", "sale.order", required=True),
        "product_id": m2o("Product", "product.product"),
        "name": Field("text", "Description", required=True),
        "product_uom_qty": num("Quantity", required=True, default=1.0),
        "qty_delivered": num("Delivery Quantity"),
        "price_unit": num("Unit Price", required=True),
        "discount": num("Discount (%)"),
        "tax_id": m2m("Taxes", "account.tax"),
        "product_uom": m2o("Unit of Measure", "uom.uom", default=1),
        "price_subtotal": money("Subtotal", compute=True),
        "price_tax": num("Total Tax", compute=True),
        "price_total": money("Total", compute=True),
        "currency_id": m2o("Currency", "res.currency", related="order_id.currency_id"),
        "state": sel("Order Status", SALE_STATE_16, related="order_id.state"),
    }


def _quant() -> dict[str, Field]:
    return {
        "product_id": m2o("Product", "product.product", required=True),
        "location_id": m2o("Location", "stock.location", required=True),
        "quantity": num("Quantity"),
        "reserved_quantity": num("Reserved Quantity", required=True),
        "inventory_quantity": num("Counted Quantity"),
        "inventory_diff_quantity": num("Difference", compute=True),
        "inventory_quantity_set": flag("Inventory Quantity Set"),
        "available_quantity": num("Available Quantity", compute=True),
        "product_tmpl_id": m2o("Product Template", "product.template", related="product_id.product_tmpl_id"),
    }


def build(version: int) -> dict[str, dict[str, Field]]:
    models: dict[str, dict[str, Field]] = {
        "res.country": {"name": char("Country Name", required=True), "code": char("Country Code")},
        "res.country.state": {
            "name": char("State Name", required=True),
            "code": char("State Code"),
            "country_id": m2o("Country", "res.country", required=True),
        },
        "res.currency": {
            "name": char("Currency", required=True),
            "symbol": char("Symbol"),
            "active": flag("Active", default=True),
        },
        "res.company": {"name": char("Company Name", required=True)},
        "res.users": {"name": char("Name", required=True), "login": char("Login", required=True)},
        "res.partner.category": {"name": char("Tag Name", required=True)},
        "res.partner": _partner(),
        "product.category": {"name": char("Name", required=True)},
        "uom.uom": {"name": char("Unit of Measure", required=True)},
        "product.template": _template(version),
        "product.product": _variant(version),
        "product.attribute": {
            "name": char("Attribute", required=True),
            "value_ids": o2m("Values", "product.attribute.value", "attribute_id"),
        },
        "product.attribute.value": {
            "name": char("Value", required=True),
            "attribute_id": m2o("Attribute", "product.attribute", required=True),
        },
        "product.template.attribute.line": {
            "product_tmpl_id": m2o("Product Template", "product.template", required=True),
            "attribute_id": m2o("Attribute", "product.attribute", required=True),
            "value_ids": m2m("Values", "product.attribute.value"),
            "product_template_value_ids": o2m(
                "Product Attribute Values", "product.template.attribute.value", "attribute_line_id"
            ),
        },
        "product.template.attribute.value": {
            "name": char("Value", related="product_attribute_value_id.name"),
            "attribute_line_id": m2o("Attribute Line", "product.template.attribute.line", required=True),
            "product_attribute_value_id": m2o("Attribute Value", "product.attribute.value", required=True),
            "attribute_id": m2o("Attribute", "product.attribute", related="attribute_line_id.attribute_id"),
            "product_tmpl_id": m2o("Product Template", "product.template", related="attribute_line_id.product_tmpl_id"),
            "price_extra": num("Value Price Extra"),
            "ptav_active": flag("Active", default=True),
        },
        "stock.location": {
            "name": char("Location Name", required=True),
            "complete_name": char("Full Location Name"),
            "usage": sel(
                "Location Type",
                (
                    ("supplier", "Vendor Location"),
                    ("view", "View"),
                    ("internal", "Internal Location"),
                    ("customer", "Customer Location"),
                    ("inventory", "Inventory Loss"),
                ),
                default="internal",
            ),
        },
        "stock.warehouse": {
            "name": char("Warehouse", required=True),
            "code": char("Short Name", required=True),
            "lot_stock_id": m2o("Location Stock", "stock.location", required=True),
        },
        "stock.quant": _quant(),
        "stock.picking": {"name": char("Reference"), "sale_id": m2o("Sales Order", "sale.order")},
        "account.tax": {
            "name": char("Tax Name", required=True),
            "amount": num("Amount"),
            "type_tax_use": sel(
                "Tax Type", (("sale", "Sales"), ("purchase", "Purchases"), ("none", "None")), default="sale"
            ),
        },
        "account.journal": {
            "name": char("Journal Name", required=True),
            "code": char("Short Code", required=True),
            "type": sel(
                "Type",
                (
                    ("sale", "Sales"),
                    ("purchase", "Purchase"),
                    ("cash", "Cash"),
                    ("bank", "Bank"),
                    ("general", "Miscellaneous"),
                ),
                required=True,
            ),
            "active": flag("Active", default=True),
        },
        "account.move": {
            "name": char("Number"),
            "ref": char("Reference"),
            "state": sel(
                "Status", (("draft", "Draft"), ("posted", "Posted"), ("cancel", "Cancelled")), default="draft"
            ),
        },
        "account.payment.method.line": {"name": char("Name")},
        "account.payment": _payment(version),
        "sale.order": _sale_order(version),
        "sale.order.line": _sale_line(),
        "ir.model.data": {
            "name": char("External Identifier", required=True, index=True),
            "module": char("Module", required=True),
            "model": char("Model Name", required=True),
            "res_id": Field("many2one_reference", "Record ID", default=0),
        },
    }
    return {name: {**COMMON, **fields} for name, fields in models.items()}


DESCRIPTIONS = {
    "res.partner": "Contact",
    "product.template": "Product",
    "product.product": "Product Variant",
    "stock.quant": "Quants",
    "sale.order": "Sales Order",
    "sale.order.line": "Sales Order Line",
    "account.payment": "Payments",
}
