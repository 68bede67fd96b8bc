"""The briefing domain (DESIGN §4): schema, validation, writes and figures."""
