"""The language server: pygls handlers over the analysis core (see server.py for the routing)."""
