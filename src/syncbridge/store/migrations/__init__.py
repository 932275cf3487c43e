"""Alembic migrations of the hub database (driven from code by ``syncbridge.store.migrate``)."""
