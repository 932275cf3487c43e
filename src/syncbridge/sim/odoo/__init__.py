"""A simulated Odoo (16, 17, 18): XML-RPC, JSON-RPC and JSON-2 over an in-memory ORM-ish store."""

from __future__ import annotations

from syncbridge.sim.odoo.app import OdooSim

__all__ = ["OdooSim"]
