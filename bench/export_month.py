"""A month's visits exported to XLSX for the 500-point site of `bench.coverage_month`.

    .venv/bin/python -m bench.export_month

    .venv/bin/python -m bench.export_month --year   # also a year's export (~800k rows)

Prints the export's time (target ≤ 5 s for ~70k visits) and peak memory growth, a week's
export's memory growth beside it (flat memory: the month should need about what the week
needs; with --year, a year's too), and the ratio to a baseline measured in the same run:
the CSV export of the same rows (same row source, plain text out), so the ratio is what
writing XLSX costs over producing the rows. A bare openpyxl write-only write of the rows
(the writer used before `server.xlsx_stream`) is timed too, for comparison. Each
measurement runs in a fresh process, so one's peak does not hide another's.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import resource
import sys
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
from time import perf_counter

from openpyxl import Workbook

from bench.coverage_month import TZ, build
from server.exports import csv_chunks, table, write_xlsx
from server.storage import Storage

START = datetime(2026, 10, 1, tzinfo=TZ).astimezone(UTC)
END = datetime(2026, 11, 1, tzinfo=TZ).astimezone(UTC)


def _rss_mb() -> float:
    """Peak RSS since the last `_reset_peak` (Linux: VmHWM)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _reset_peak() -> float:
    """Start measuring the peak from now; returns the current RSS in MB."""
    with contextlib.suppress(OSError):
        Path("/proc/self/clear_refs").write_text("5")
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return _rss_mb()


def _export(db: str, days: int, out: str, queue: multiprocessing.Queue) -> None:
    storage = Storage(db)
    before = _reset_peak()
    started = perf_counter()
    end = START + timedelta(days=days)
    t = table(storage, "big", "visits", START, end, max(end, END))
    rows, source = 0, t.rows

    def counted():  # type: ignore[no-untyped-def]
        nonlocal rows
        for row in source:
            rows += 1
            yield row

    t.rows = counted()
    write_xlsx([t], Path(out))
    queue.put((perf_counter() - started, _rss_mb() - before, rows))


def _csv(db: str, days: int, out: str, queue: multiprocessing.Queue) -> None:
    storage = Storage(db)
    before = _reset_peak()
    started = perf_counter()
    t = table(storage, "big", "visits", START, START + timedelta(days=days), END)
    with open(out, "wb") as f:
        for chunk in csv_chunks(t):
            f.write(chunk)
    queue.put((perf_counter() - started, _rss_mb() - before, 0))


def _bare(db: str, out: str, queue: multiprocessing.Queue) -> None:
    storage = Storage(db)
    rows = list(table(storage, "big", "visits", START, END, END).rows)
    before = _reset_peak()
    started = perf_counter()
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("visits")
    for row in rows:
        ws.append(row)
    wb.save(out)
    queue.put((perf_counter() - started, _rss_mb() - before, len(rows)))


def _run(target, *args):  # type: ignore[no-untyped-def]
    ctx = multiprocessing.get_context("spawn")
    queue = ctx.Queue()
    process = ctx.Process(target=target, args=(*args, queue))
    process.start()
    result = queue.get()
    process.join()
    return result


def main() -> None:
    year = "--year" in sys.argv[1:]
    with tempfile.TemporaryDirectory() as tmp:
        db = str(Path(tmp) / "big.db")
        storage = Storage(db)
        expected = build(storage, START, END)
        storage.close()
        month_s, month_mb, rows = _run(_export, db, 31, str(Path(tmp) / "month.xlsx"))
        _week_s, week_mb, week_rows = _run(_export, db, 7, str(Path(tmp) / "week.xlsx"))
        csv_s, csv_mb, _ = _run(_csv, db, 31, str(Path(tmp) / "month.csv"))
        bare_s, bare_mb, _ = _run(_bare, db, str(Path(tmp) / "bare.xlsx"))
        size = (Path(tmp) / "month.xlsx").stat().st_size / 1e6
        if year:
            year_s, year_mb, year_rows = _run(_export, db, 366, str(Path(tmp) / "year.xlsx"))
    print(f"site: 500 points, month of {expected} expected visits; {rows} rows exported")
    print(f"baseline (CSV export of the same rows): {csv_s:.2f} s, peak RSS +{csv_mb:.0f} MB")
    print(f"month export to XLSX ({size:.1f} MB):  {month_s:.2f} s (target <= 5 s)")
    print(f"ratio XLSX/CSV export: {month_s / csv_s:.2f}")
    print(
        f"bare openpyxl write-only write of the rows already in memory: {bare_s:.2f} s"
        f" (+{bare_mb:.0f} MB)"
    )
    print(f"peak RSS growth: month {month_mb:.0f} MB, week ({week_rows} rows) {week_mb:.0f} MB")
    if year:
        print(f"year ({year_rows} rows): {year_s:.1f} s, peak RSS growth {year_mb:.0f} MB")


if __name__ == "__main__":
    main()
