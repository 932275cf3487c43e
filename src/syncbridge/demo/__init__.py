"""The demo: data built to show what syncbridge does, and the reconciliation of the three systems."""
