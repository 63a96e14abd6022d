"""Tidy tables and prose computed from the loaded tables: figures as worded, revisions, running counts.

Imports only ``data`` and ``core``.
"""
