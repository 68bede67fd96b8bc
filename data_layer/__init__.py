"""The command post's data layer: one module per domain, all writes through :func:`data_layer.db.write`."""
