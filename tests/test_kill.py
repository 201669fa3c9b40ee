"""kill -9 in the suite, a bounded count: the server mid-sync and the phone mid-write.
`python -m tests.kill_trials --trials 100` runs many more."""

from __future__ import annotations

from tests.kill_trials import phone_kill_trials, server_kill_trials


def test_server_killed_mid_sync_loses_and_doubles_nothing(tmp_path):
    report = server_kill_trials(tmp_path, trials=3, seed=7)
    assert report.kills == 3 and report.records > 150
    assert (report.lost, report.doubled, report.broken_chains) == (0, 0, 0)


def test_phone_killed_mid_write_keeps_every_record_it_said_was_saved(tmp_path):
    report = phone_kill_trials(tmp_path, trials=3, seed=7)
    assert report.interrupted == 3 and report.records >= 3
    assert report.lost == 0
