"""The ``workbook`` command: validate data, build the catalogue's reports, run one report.

Errors the user can fix are printed as one message, without a traceback (``--debug`` or
``DEBUG=1`` shows it), and the exit code is non-zero.
"""

from __future__ import annotations

import argparse
import errno
import gc
import os
import re
import sys
from collections.abc import Callable
from pathlib import Path

from casualty_workbook.core.exceptions import ParameterError, WorkbookError
from casualty_workbook.core.files import UnsafeDestination
from casualty_workbook.core.guard import check_output_file
from casualty_workbook.core.paths import default_data_dir
from casualty_workbook.core.startup import skip_unused_imports
from casualty_workbook.data.arrow_text import ReadAhead
from casualty_workbook.data.transaction import data_lock
from casualty_workbook.pipeline.build_lock import clean

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
    # --debug and --data-dir are read before or after the subcommand ("add --debug to a workbook command").
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--debug", action="store_true", default=argparse.SUPPRESS, help="show tracebacks (also: DEBUG=1)"
    )
    common.add_argument(
        "--data-dir", type=Path, default=argparse.SUPPRESS, help="folder of the data tables (default: data/)"
    )
    parser = argparse.ArgumentParser(
        prog="workbook",
        parents=[common],
        description="Casualty figures workbook: check the data, build the reports "
        "and their figures, run a notebook with your own parameters.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    commands.add_parser(
        "validate",
        parents=[common],
        help="check every table in data/ and say what is wrong",
        description="Check every table of the data folder and its .meta.yml against the rules "
        "of data/README.md; list every problem of every file, or print a summary.",
    )
    _add_build(commands.add_parser, common)
    _add_report(commands.add_parser, common)
    commands.add_parser(
        "clean",
        parents=[common],
        help="remove reports/, the build state and caches (not .venv, not figures/)",
        description="Remove reports/, the build's state and caches; stops, saying so, while a build, "
        "report or another clean runs.",
    )
    # The import and export subcommands (import ucdp|acled|ohchr-series, export hxl): their module is light,
    # its parser here; the importers themselves load only when one runs.
    from casualty_workbook.interchange.commands import add_commands

    add_commands(commands)
    return parser


def _add_timeout(command: argparse.ArgumentParser) -> None:
    command.add_argument(
        "--timeout",
        type=_positive("seconds"),
        default=CELL_TIMEOUT,
        help=f"seconds a cell may run before it is stopped (default {CELL_TIMEOUT})",
    )


def _add_build(add_parser: Callable[..., argparse.ArgumentParser], common: argparse.ArgumentParser) -> None:
    build = add_parser(
        "build",
        parents=[common],
        help="build every stale report of the catalogue",
        description="Build the reports of catalogue.yml whose inputs (notebook, parameters, "
        "data and metadata, code, style, lock) changed since their last good "
        "build; their figures go to figures/<report>/, pages to reports/.",
    )
    build.add_argument(
        "--jobs",
        type=_positive("kernels"),
        default=None,
        help="kernels at once (default: one more than the usable cores)",
    )
    build.add_argument("--force", action="store_true", help="rebuild even reports whose inputs are unchanged")
    build.add_argument(
        "--only", action="append", default=[], metavar="REPORT", help="build only this report (repeatable)"
    )
    _add_timeout(build)
    build.add_argument(
        "--executor",
        choices=("local", "dask"),
        default="local",
        help="where notebooks run: local kernels (default) or a Dask cluster",
    )
    build.add_argument(
        "--scheduler",
        metavar="ADDRESS",
        default=None,
        help="the Dask scheduler, e.g. tcp://10.0.0.5:8786 (default with --executor dask: a "
        "LocalCluster of --jobs workers)",
    )


def _add_report(add_parser: Callable[..., argparse.ArgumentParser], common: argparse.ArgumentParser) -> None:
    report = add_parser(
        "report",
        parents=[common],
        help="run one notebook with your own parameters into reports/custom/",
        description="Run one notebook with your parameters into reports/custom/ (figures in "
        "reports/custom/figures/, or output_dir=FOLDER), never over figures/. "
        "Parameters are checked before any kernel starts.",
    )
    report.add_argument("notebook", nargs="?", help="notebook name, e.g. ohchr_2014_2021")
    report.add_argument(
        "params",
        nargs="*",
        default=[],
        metavar="NAME=VALUE",
        help="parameters (optional), e.g. include_mh17=false year_from=2015",
    )
    _add_timeout(report)


# A Dask scheduler's address: tcp://host:port (or another of Dask's transports), or host:port.
_SCHEDULER = re.compile(r"^((tcp|tls|ucx|ws|wss|inproc)://)?[^\s/:]+(:\d{1,5})$|^inproc://\S+$")


def _check_scheduler(address: str) -> None:
    """Dask raises a bare ValueError for an address without a port: named here, before anything starts."""
    if not _SCHEDULER.match(address):
        raise ParameterError(
            f"--scheduler {address!r}: expected a Dask scheduler's address with its port, e.g. tcp://10.0.0.5:8786"
        )


# Errors of the file system a user can act on, said in words rather than a traceback.
_OS_ERRORS = {
    errno.EROFS: "the file system is read-only",
    errno.ENOSPC: "the disk is full",
    errno.EDQUOT: "the disk quota is exceeded",
    errno.EACCES: "permission denied",
    errno.EPERM: "operation not permitted",
    errno.ENAMETOOLONG: "the file name is too long for the file system",
}


def _check_import_file(path: Path, what: str) -> None:
    """The file an import reads must be a regular file: a folder was 'file not found', and a device
    (/dev/zero, endless) was read until memory ran out. A missing file is the importer's to name."""
    import stat

    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        return
    except OSError as err:
        raise ParameterError(f"{what}: {path} cannot be read ({err.strerror})") from None
    if stat.S_ISREG(mode):
        return
    if stat.S_ISDIR(mode):
        raise ParameterError(f"{what}: {path} is a folder, not a file: give the export file inside it")
    raise ParameterError(f"{what}: {path} is a device, FIFO or socket, not a file: give the export file itself")


def _os_error_message(err: OSError) -> str | None:
    """One line for an OSError the user can fix (None for any other: a bug, shown with its traceback)."""
    why = _OS_ERRORS.get(err.errno or -1)
    if why is None:
        return None
    where = f"{err.filename}: " if err.filename else ""
    return f"{where}{why} ({err.strerror}); nothing was replaced: free space or fix the folder, then run again"


def _notebook_names() -> str:
    # Loaded for this subcommand only: the parser is built without reading notebooks.
    from casualty_workbook.pipeline.parameters import CONSTRAINTS

    return ", ".join(sorted(CONSTRAINTS))


def _run(args: argparse.Namespace) -> int:
    if getattr(args, "data_dir", None) is not None:
        os.environ["WORKBOOK_DATA_DIR"] = str(args.data_dir.resolve())
    if args.command == "validate":
        with data_lock(default_data_dir(), exclusive=False, what="validate"), ReadAhead(default_data_dir()) as ahead:
            # Loaded for this subcommand only, while the folder's largest tables are read on a second core:
            # pandas and pandera, which no other command before it needs.
            from casualty_workbook.data.loading import load_all

            tables = load_all(ahead=ahead)
        rows = sum(len(t) for t in tables.values())
        print(f"{default_data_dir()}: {len(tables)} tables, {rows} rows, all rules hold.")
        return 0
    if args.command == "build":
        # Loaded for this subcommand only: the build (a no-op build then loads no pandas).
        from casualty_workbook.pipeline.build import build_catalogue

        if args.scheduler and args.executor != "dask":
            raise ParameterError("--scheduler ADDRESS goes with --executor dask")
        if args.scheduler:
            _check_scheduler(args.scheduler)
        return build_catalogue(
            jobs=args.jobs,
            force=args.force,
            only=args.only,
            timeout=args.timeout,
            executor=args.executor,
            scheduler=args.scheduler,
        )
    if args.command == "report":
        # Loaded for this subcommand only: a report loads pandas to check its parameters against the data.
        from casualty_workbook.pipeline.custom_run import run_custom_report

        return run_custom_report(args.notebook, args.params, timeout=args.timeout)
    if args.command == "clean":
        return clean()
    if args.command in ("import", "export"):
        # Loaded for this subcommand only: the importers load pandas and pyarrow.
        from casualty_workbook.interchange.commands import run

        if args.command == "export":
            check_output_file(args.out, what=f"export {args.format} FILE")
        else:
            _check_import_file(args.file, f"import {args.format} FILE")
        # An import holds the data folder alone from its first read to its last rename (transaction.py).
        with data_lock(default_data_dir(), exclusive=args.command == "import", what=args.command):
            return run(args)
    raise AssertionError(args.command)


def main(argv: list[str] | None = None) -> int:
    skip_unused_imports()
    parser = _parser()
    args, extra = parser.parse_known_args(argv)
    if args.command == "report":
        # Options may come between the notebook's name and its NAME=VALUE words (`report explore --timeout 60
        # year_from=2015`): argparse stops collecting the words at the first option and leaves the rest over.
        words = [word for word in extra if not word.startswith("-")]
        args.params = [*args.params, *words]
        extra = [word for word in extra if word.startswith("-")]
    if extra:
        parser.error(f"unrecognized arguments: {' '.join(extra)}")
    if args.command == "report" and not args.notebook:
        print(
            "usage: workbook report NOTEBOOK [NAME=VALUE ...]\n"
            f"error: give the notebook to run, one of: {_notebook_names()} "
            "(parameters are optional, e.g. workbook report ohchr_2014_2021 year_from=2015)",
            file=sys.stderr,
        )
        return 2
    debug = getattr(args, "debug", False) or os.environ.get("DEBUG", "") not in ("", "0")
    try:
        return _run(args)
    except WorkbookError as err:
        if debug:
            raise
        print(f"error: {err}", file=sys.stderr)
        return err.exit_code
    except UnsafeDestination as err:
        if debug:
            raise
        print(f"error: {err}", file=sys.stderr)
        return 2
    except OSError as err:
        message = _os_error_message(err)
        if debug or message is None:
            raise
        print(f"error: {message}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted: outputs of unfinished reports were not written", file=sys.stderr)
        return 130


def command(argv: list[str] | None = None) -> int:
    """The ``workbook`` command: ``main``, then an exit that does not walk every object one last time.

    Python's exit ends with a garbage collection over every object it still tracks, and pandas,
    pandera and a table of a million claims leave hundreds of thousands: about 0.15 s of every command.
    Frozen (``gc.freeze``), they are freed one by one as the interpreter ends, without that last walk;
    exit handlers still run. Not in ``main``, which tests call again and again in one process.
    """
    code = main(argv)
    gc.freeze()
    return code


if __name__ == "__main__":
    sys.exit(command())
