"""A WooCommerce 10 simulator (``/wp-json/wc/v3``) as an ASGI app, faithful to the recorded real answers."""

from __future__ import annotations

from syncbridge.sim.woocommerce.loader import LoadReport
from syncbridge.sim.woocommerce.sim import WooCommerceSim

__all__ = ["LoadReport", "WooCommerceSim"]
