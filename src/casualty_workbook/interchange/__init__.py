"""Datasets in and out: UCDP GED, ACLED and OHCHR series imports, the HXL export.

Imports ``data`` and ``core``.
"""
