"""Dataset imports: UCDP GED and ACLED exports become events and claims (``workbook import``)."""
