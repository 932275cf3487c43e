"""The Odoo connector (16, 17, 18): JSON-RPC, XML-RPC or JSON-2."""

from __future__ import annotations

from syncbridge.connectors.odoo.client import OdooClient
from syncbridge.connectors.odoo.connector import OdooConnector

__all__ = ["OdooClient", "OdooConnector"]
