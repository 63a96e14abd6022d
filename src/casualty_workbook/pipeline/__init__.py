"""The build: run the catalogue's stale reports with papermill, several kernels at once.

1. ``state``: the catalogue's structure is read (cheap). Each report gets a key: a hash of its
   notebook, parameters, the package's code and style, the lock file and the data files it read
   last time. A report whose key and outputs match its last successful build is skipped, so a
   build with nothing changed only hashes files (no pandas, no papermill, no kernel).
2. ``run``: for stale reports the data and parameters are checked before any kernel starts;
   the reports run where the executor says (``executors``), one kernel more than the cores by default.
3. ``execute``: each report runs in its own kernel into a staging folder; a failure is told
   apart by its kind (a cell's error, a timeout, a dead kernel, a notebook that stopped early).
4. ``publish``: only when a report succeeds are its figures and report files renamed into
   place, file by file, each complete. A failed report's executed notebook (with papermill's
   error banner) goes to reports/failed/; the other reports still finish and the exit code
   says it failed. reports/index.html links every report with its figures.
5. ``custom``: an analyst's own run of one notebook, into reports/custom/.

Each executed report records its parameters, the hashes of the data it read, package versions
and the git commit. Nothing here is imported until it is used: the command line's no-op build
never pays for pandas or papermill.

Imports ``publish``, ``data`` and ``core``.
"""
