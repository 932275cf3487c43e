"""syncbridge: keeps a WooCommerce store, an Odoo ERP and your own database in sync."""

__version__ = "0.1.0"
