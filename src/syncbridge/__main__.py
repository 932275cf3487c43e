"""``python -m syncbridge``: the same as the ``syncbridge`` command."""

from syncbridge.cli.main import app

app()
