"""Report pages, the reports index and figure drift: what a reader opens.

Imports ``data`` and ``core``.
"""
