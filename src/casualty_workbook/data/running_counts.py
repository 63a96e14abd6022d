"""How a running count imported as claims is written in the tables (``workbook import ohchr-series``).

The importer writes these values and the analysis finds the count by them, so they live here, below
both: an event whose id starts with ``EVENT_PREFIX`` is a running count; its updates are claims of
``CLAIMANT`` about ``POPULATION``.
"""

CLAIMANT = "ohchr"
POPULATION = "civilians"
EVENT_PREFIX = "ohchr_civilians_"
