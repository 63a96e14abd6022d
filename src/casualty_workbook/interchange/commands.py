"""The ``workbook import ucdp|acled|ohchr-series`` and ``workbook export hxl`` commands: their options, checked
before any file is read, and what they print."""

from __future__ import annotations

import argparse
import datetime as dt
from pathlib import Path

from casualty_workbook.core.exceptions import ParameterError

# The encodings --encoding accepts (kept here, not imported: the command's options are built
# before pandas is imported).
ENCODINGS = ("utf-8", "cp1252", "latin-1", "utf-16")


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a date written YYYY-MM-DD, got {text!r}") from None


def _bbox(text: str) -> tuple[float, float, float, float]:
    try:
        min_lon, min_lat, max_lon, max_lat = (float(x) for x in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected MIN_LON,MIN_LAT,MAX_LON,MAX_LAT in decimal degrees, got {text!r}"
        ) from None
    if not (-180 <= min_lon < max_lon <= 180 and -90 <= min_lat < max_lat <= 90):
        raise argparse.ArgumentTypeError(
            f"{text!r}: need -180 <= MIN_LON < MAX_LON <= 180 and -90 <= MIN_LAT < MAX_LAT <= 90"
        )
    return min_lon, min_lat, max_lon, max_lat


def add_commands(commands: argparse._SubParsersAction) -> None:
    """Add ``import`` and ``export`` to the ``workbook`` command's subcommands."""
    imp = commands.add_parser(
        "import", help="import a UCDP GED or ACLED export, or OHCHR's running count, into data/ as events and claims"
    )
    formats = imp.add_subparsers(dest="format", required=True)
    for name, what in (("ucdp", "a UCDP GED CSV export (e.g. GEDEvent_v24_1.csv)"), ("acled", "an ACLED CSV export")):
        sub = formats.add_parser(name, help=f"import {what}")
        sub.add_argument("file", type=Path, help=what)
        sub.add_argument("--country", help="only events in this country, as the file names it")
        sub.add_argument("--admin1", help="only events in this first-level admin area, as the file names it")
        sub.add_argument("--since", type=_date, help="only events ending on or after this date (YYYY-MM-DD)")
        sub.add_argument("--until", type=_date, help="only events starting on or before this date (YYYY-MM-DD)")
        sub.add_argument(
            "--bbox",
            type=_bbox,
            metavar="MIN_LON,MIN_LAT,MAX_LON,MAX_LAT",
            help="only events inside this box (decimal degrees)",
        )
        sub.add_argument(
            "--event-type",
            action="append",
            default=[],
            metavar="TYPE",
            help="only events of this type, as the file words it (UCDP: e.g. 'one-sided violence' or its code 3; "
            "ACLED: its disorder_type, event_type or sub_event_type, e.g. Battles); repeat for several",
        )
        sub.add_argument(
            "--encoding",
            choices=ENCODINGS,
            default="utf-8",
            help="the file's text encoding (default utf-8; cp1252 for a CSV saved by Excel on Windows)",
        )
        if name == "ucdp":
            sub.add_argument("--release", help="the GED version, e.g. 24.1 (default: read from the file name)")
            sub.add_argument(
                "--released",
                type=_date,
                help="the day the release was published, YYYY-MM-DD (default: a day in the file name, or the day "
                "recorded when the release was imported before; refused when none gives it)",
            )
    series = formats.add_parser(
        "ohchr-series", help="import OHCHR's running count of civilians killed and injured, as a dashboard carried it"
    )
    series.add_argument("file", type=Path, help="the series: an HXL-tagged CSV or the dashboard's key-figures sheet")
    series.add_argument("--country", required=True, help="the country the count covers, e.g. as the dashboard names it")
    series.add_argument(
        "--counted-from", required=True, type=_date, help="the day the count starts (YYYY-MM-DD): its first day counted"
    )
    series.add_argument("--source-url", help="the address of the dashboard that carried the series")
    export = commands.add_parser("export", help="export the claims in a format other tools read")
    targets = export.add_subparsers(dest="format", required=True)
    hxl = targets.add_parser("hxl", help="the claims as an HXL-tagged CSV (for the Humanitarian Data Exchange)")
    hxl.add_argument(
        "out", nargs="?", type=Path, default=Path("claims.hxl.csv"), help="the file to write (default: claims.hxl.csv)"
    )


def run(args: argparse.Namespace) -> int:
    if args.command == "export":
        # An importer loads pandas and pyarrow: only when it runs, never while the command line builds its parser.
        from casualty_workbook.interchange.hxl import export_hxl

        target, rows = export_hxl(args.out)
        print(f"{target}: {rows} claims, HXL-tagged.")
        return 0
    if args.format == "ohchr-series":
        # An importer loads pandas and pyarrow: only when it runs, never while the command line builds its parser.
        from casualty_workbook.interchange.ohchr_series import import_ohchr_series

        print(
            import_ohchr_series(
                args.file, country=args.country, counted_from=args.counted_from, source_url=args.source_url
            ).describe()
        )
        return 0
    # An importer loads pandas and pyarrow: only when it runs, never while the command line builds its parser.
    from casualty_workbook.interchange.common import Filters

    if args.since and args.until and args.since > args.until:
        raise ParameterError(f"--since {args.since} is after --until {args.until}")
    filters = Filters(
        country=args.country,
        since=args.since,
        until=args.until,
        bbox=args.bbox,
        admin1=args.admin1,
        event_type=tuple(args.event_type),
    )
    if args.format == "ucdp":
        # An importer loads pandas and pyarrow: only when it runs, never while the command line builds its parser.
        from casualty_workbook.interchange.ucdp import import_ucdp

        summary = import_ucdp(
            args.file,
            release=args.release,
            released=args.released.isoformat() if args.released else None,
            filters=filters,
            encoding=args.encoding,
        )
    else:
        # An importer loads pandas and pyarrow: only when it runs, never while the command line builds its parser.
        from casualty_workbook.interchange.acled import import_acled

        summary = import_acled(args.file, filters=filters, encoding=args.encoding)
    print(summary.describe())
    return 0
