"""Drawing: the house style, the plotting functions (they draw and return Axes), the table behind
each chart, and the one function that saves figures.

Imports ``analysis``, ``data`` and ``core``.
"""
