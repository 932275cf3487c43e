"""Services: the I/O shells the API, the CLI and the web UI call (they own transactions, never SQL)."""
