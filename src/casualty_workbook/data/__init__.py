"""The tables of ``data/``: their schemas and rules, the one loader, provenance, and the lock and
transactions that keep ``data/`` whole.

Imports only ``core``.
"""
