"""Plant each of issue 9's once-missed bugs, one at a time, and check the tests catch it.

Each bug is a small edit to a copy of the tracked tree (in a temporary folder, so the
worktree is never left with a bug in it); the tests named for it are run against that
copy and must fail. Prints a Markdown table (docs/MUTATION.md keeps the last one) and
exits non-zero when a planted bug passes unnoticed.

    .venv/bin/python scripts/planted_bugs.py            # every bug (~2 minutes)
    .venv/bin/python scripts/planted_bugs.py week month # only those
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Bug:
    name: str
    what: str
    path: str
    old: str
    new: str
    tests: tuple[str, ...]


BUGS = [
    Bug(
        "sync-off",
        "phone store with `synchronous=OFF`",
        "app/store.py",
        'conn.execute("PRAGMA synchronous = FULL")',
        'conn.execute("PRAGMA synchronous = OFF")',
        ("tests/test_catches.py::test_the_phone_store_commits_durably",),
    ),
    Bug(
        "no-fsync",
        "phone photo files renamed without fsync",
        "app/store.py",
        "        os.fsync(f.fileno())\n",
        "",
        ("tests/test_catches.py::test_photo_files_are_fsynced_before_they_take_their_name",),
    ),
    Bug(
        "future-flag",
        "ingest drops the future-time flag",
        "server/ingest.py",
        "        flags.append(Flag.FUTURE_TIME)",
        "        pass",
        ("tests/test_catches.py::test_a_record_from_after_its_batch_was_sent_is_flagged",),
    ),
    Bug(
        "earlier-batches",
        "ingest ignores the scans of earlier batches (no speed / seconds-apart across syncs)",
        "server/ingest.py",
        "    times = sorted(r.device_time for r in records if r.kind is RecordKind.SCAN)",
        "    times: list[datetime] = []",
        (
            "tests/test_trust_signals.py::"
            "test_speed_and_seconds_apart_are_judged_against_earlier_syncs",
        ),
    ),
    Bug(
        "foreign-assignee",
        "an assignee from another site accepted",
        "server/ingest.py",
        "if user is None or site.id not in user.site_ids:",
        "if user is None:",
        ("tests/test_ingest_rules.py::test_an_assignee_from_another_site_is_refused",),
    ),
    Bug(
        "unknown-schedule",
        "an unknown `schedule_id` accepted",
        "server/ingest.py",
        'if body["schedule_id"] is not None and body["schedule_id"] not in site.schedules:',
        'if False and body["schedule_id"] not in site.schedules:',
        ("tests/test_ingest_rules.py::test_an_unknown_schedule_or_another_sites_round_is_refused",),
    ),
    Bug(
        "foreign-round",
        "a round of another site accepted",
        "server/ingest.py",
        "start.kind != RecordKind.ROUND_START or start.site_id != site.id:",
        "start.kind != RecordKind.ROUND_START:",
        ("tests/test_ingest_rules.py::test_an_unknown_schedule_or_another_sites_round_is_refused",),
    ),
    Bug(
        "overdue-now",
        "overdue judged by now for closed rectifications",
        "domain/scoring.py",
        "overdue = done_by > deadline if state is RectificationState.CLOSED else now > deadline",
        "overdue = now > deadline",
        ("tests/test_catches.py::test_a_rectification_closed_in_time_is_never_overdue_later",),
    ),
    Bug(
        "duplicate-rejected",
        'the phone treats a "duplicate" reply as rejected',
        "app/store.py",
        'status = REJECTED if result["status"] == "rejected" else SENT',
        'status = SENT if result["status"] == "accepted" else REJECTED',
        ("tests/test_catches.py::test_a_duplicate_reply_counts_as_sent_not_rejected",),
    ),
    Bug(
        "prune-all",
        "the phone prunes every sent record",
        "app/store.py",
        '"delete from outbox where status = ? and sent_at < ?", [SENT, cutoff]',
        "\"delete from outbox where status = ? and ? != ''\", [SENT, cutoff]",
        ("tests/test_catches.py::test_pruning_drops_only_sent_records_older_than_a_week",),
    ),
    Bug(
        "prune-unsent",
        "the phone prunes unsent and rejected records too",
        "app/store.py",
        '"delete from outbox where status = ? and sent_at < ?", [SENT, cutoff]',
        "\"delete from outbox where ? != '' and sent_at < ?\", [SENT, cutoff]",
        ("tests/test_catches.py::test_pruning_drops_only_sent_records_older_than_a_week",),
    ),
    Bug(
        "week-sunday",
        "a week starting on Sunday",
        "domain/schedules.py",
        "monday = day - timedelta(days=day.weekday())",
        "monday = day - timedelta(days=(day.weekday() + 1) % 7)",
        (
            "tests/test_catches.py::test_a_week_runs_monday_to_sunday",
            "tests/test_catches.py::test_coverage_periods_cover_exactly_their_days",
        ),
    ),
    Bug(
        "month-short",
        "a month one day short",
        "domain/schedules.py",
        "return local_day_bounds(first, tz)[0], local_day_bounds(next_first, tz)[0]",
        "return local_day_bounds(first, tz)[0], local_day_bounds(next_first, tz)[0]"
        " - timedelta(days=1)",
        (
            "tests/test_catches.py::test_a_month_holds_every_one_of_its_days",
            "tests/test_catches.py::test_coverage_periods_cover_exactly_their_days",
        ),
    ),
    Bug(
        "period-ignored",
        "the coverage API reads every period as one day (period tests that check only 200)",
        "server/api/params.py",
        "return period_bounds(period, day or now.astimezone(tz).date(), tz, shift_start)",
        'return period_bounds("day", day or now.astimezone(tz).date(), tz, shift_start)',
        ("tests/test_catches.py::test_coverage_periods_cover_exactly_their_days",),
    ),
    Bug(
        "throttle-kept",
        "the login throttle not reset by a good login",
        "server/throttle.py",
        "        self._attempts.pop(pair, None)\n",
        "",
        ("tests/test_auth.py::test_a_good_login_resets_the_throttle", "tests/test_throttle.py"),
    ),
    Bug(
        "browser-marker",
        "a browser test module without the `browser` marker (runs under `-m 'not browser'`)",
        "tests/console/test_tickets_browser.py",
        "pytestmark = pytest.mark.browser",
        "pytestmark: list[pytest.MarkDecorator] = []",
        ("tests/test_catches.py::test_every_browser_test_carries_the_browser_marker",),
    ),
    Bug(
        "no-membership",
        "the site membership check removed (another site's objects)",
        "server/access.py",
        '    if site_id not in user.site_ids:\n        raise AccessDenied(404, "site not found")',
        '    if site_id == "no-such-site":\n        raise AccessDenied(404, "site not found")',
        # each case on its own: every one must fail without the membership check
        tuple(
            f"tests/test_auth.py::test_another_sites_objects_answer_404_like_missing_ones[{p}]"
            for p in ("/api/v1/sites/alpha/coverage", "/api/v1/sites/alpha/rectifications")
        )
        + tuple(
            "tests/test_catches.py::"
            f"test_another_sites_existing_plan_and_photo_answer_404_like_missing_ones[{thing}]"
            for thing in ("plan", "photo")
        ),
    ),
]


def _copy_tree(dest: Path) -> None:
    files = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        capture_output=True,
        check=True,
    ).stdout.split(b"\0")
    for name in filter(None, files):
        src = ROOT / name.decode()
        if src.is_file():
            target = dest / name.decode()
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, target)


def _failed(tree: Path, test: str) -> bool:
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-x", "-p", "no:cacheprovider", test],
        cwd=tree,
        capture_output=True,
        text=True,
    )
    if run.returncode not in (0, 1):  # 1 = tests failed; anything else is a broken run
        raise SystemExit(f"{test}: pytest exited {run.returncode}\n{run.stdout[-3000:]}")
    return run.returncode == 1


def _each_test_fails(tree: Path, tests: tuple[str, ...]) -> tuple[bool, float]:
    """Run each test target on its own: every one must fail on the bug."""
    started = time.monotonic()
    caught = all([_failed(tree, test) for test in tests])
    return caught, time.monotonic() - started


def main(names: list[str]) -> int:
    bugs = [b for b in BUGS if not names or b.name in names]
    rows = []
    with tempfile.TemporaryDirectory(prefix="rounds-planted-") as tmp:
        tree = Path(tmp)
        _copy_tree(tree)
        failing = [t for t in dict.fromkeys(t for b in bugs for t in b.tests) if _failed(tree, t)]
        if failing:
            raise SystemExit(f"these fail without any bug, fix them first: {failing}")
        for bug in bugs:
            path = tree / bug.path
            original = path.read_text()
            if original.count(bug.old) != 1:
                raise SystemExit(f"{bug.name}: the text to change is not once in {bug.path}")
            path.write_text(original.replace(bug.old, bug.new))
            try:
                caught, seconds = _each_test_fails(tree, bug.tests)
            finally:
                path.write_text(original)
            tests = ", ".join(f"`{t.removeprefix('tests/')}`" for t in bug.tests)
            verdict = "caught" if caught else "**missed**"
            rows.append(f"| {bug.what} | `{bug.path}` | {tests} | {verdict} | {seconds:.0f} s |")
            print(rows[-1], flush=True)
    print("\n| planted bug | file | tests | result | time |\n|---|---|---|---|---|")
    print("\n".join(rows))
    return 0 if all("caught" in r and "missed" not in r for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
