"""The ``workbook`` command: validate data, build the catalogue's reports, run one report.

Errors the user can fix are printed as one message, without a traceback (``--debug`` or
``DEBUG=1`` shows it), and the exit code is non-zero.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from .exceptions import ParameterError, WorkbookError


# A cell of these notebooks takes seconds; ten minutes means it hangs, and the build stops it.
CELL_TIMEOUT = 600


def _positive(what: str):
    """An argparse type: a whole number above zero, with a message naming ``what`` it counts."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a whole number of {what}, got {text!r}") from None
        if value <= 0:
            raise argparse.ArgumentTypeError(f"expected a positive number of {what}, got {value}")
        return value

    return parse


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="workbook", description="Casualty figures workbook.")
    parser.add_argument("--debug", action="store_true", help="show tracebacks (also: DEBUG=1)")
    parser.add_argument("--data-dir", type=Path, default=None, help="folder of the data tables (default: data/)")
    commands = parser.add_subparsers(dest="command", required=True)

    commands.add_parser("validate", help="check every table in data/ and say what is wrong")

    build = commands.add_parser("build", help="build every stale report of the catalogue")
    build.add_argument("--jobs", type=_positive("kernels"), default=None, help="kernels at once (default: one per core)")
    build.add_argument("--force", action="store_true", help="rebuild even reports whose inputs are unchanged")
    build.add_argument("--only", action="append", default=[], metavar="REPORT", help="build only this report (repeatable)")
    build.add_argument("--timeout", type=_positive("seconds"), default=CELL_TIMEOUT,
                       help=f"seconds a cell may run before it is stopped (default {CELL_TIMEOUT})")
    build.add_argument("--executor", choices=("local", "dask"), default="local",
                       help="where notebooks run: local kernels (default) or a Dask cluster")
    build.add_argument("--scheduler", metavar="ADDRESS", default=None,
                       help="the Dask scheduler, e.g. tcp://10.0.0.5:8786 (default with --executor dask: a "
                            "LocalCluster of --jobs workers)")

    report = commands.add_parser("report", help="run one notebook with your own parameters into reports/custom/")
    report.add_argument("notebook", help="notebook name, e.g. ohchr_2014_2021")
    report.add_argument("params", nargs="*", metavar="NAME=VALUE", help="parameters, e.g. include_mh17=false year_from=2015")
    report.add_argument("--timeout", type=_positive("seconds"), default=CELL_TIMEOUT,
                        help=f"seconds a cell may run before it is stopped (default {CELL_TIMEOUT})")
    return parser


def _run(args: argparse.Namespace) -> int:
    if args.data_dir is not None:
        os.environ["WORKBOOK_DATA_DIR"] = str(args.data_dir.resolve())
    if args.command == "validate":
        from .loading import load_all
        from .paths import default_data_dir

        tables = load_all()
        rows = sum(len(t) for t in tables.values())
        print(f"{default_data_dir()}: {len(tables)} tables, {rows} rows, all rules hold.")
        return 0
    if args.command == "build":
        from .runner import build_catalogue

        if args.scheduler and args.executor != "dask":
            raise ParameterError("--scheduler ADDRESS goes with --executor dask")
        return build_catalogue(jobs=args.jobs, force=args.force, only=args.only, timeout=args.timeout,
                               executor=args.executor, scheduler=args.scheduler)
    if args.command == "report":
        from .runner import run_custom_report

        return run_custom_report(args.notebook, args.params, timeout=args.timeout)
    raise AssertionError(args.command)


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    debug = args.debug or os.environ.get("DEBUG", "") not in ("", "0")
    try:
        return _run(args)
    except WorkbookError as err:
        if debug:
            raise
        print(f"error: {err}", file=sys.stderr)
        return err.exit_code
    except KeyboardInterrupt:
        print("interrupted: outputs of unfinished reports were not written", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
