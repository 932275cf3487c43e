"""The REST API: ``create_app`` in ``app``; one module of routes per noun."""
