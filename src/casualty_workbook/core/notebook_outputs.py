"""What a report's cells leave in the executed notebook for the build and its pages to find.

The kernels write these outputs (``figures.save_figure``, ``provenance.show_provenance``); the
build's coordinating process reads them. They are declared here, apart from both, so that the
coordinating process reads them without importing matplotlib.
"""

# A cell that saved a figure: its name and the files written. A report page shows those files there.
FIGURE_MIME = "application/vnd.casualty-workbook.figure+json"
# The provenance cell's record of what the run read: the build keeps it as the report's record.
PROVENANCE_MIME = "application/vnd.casualty-workbook.provenance+json"
