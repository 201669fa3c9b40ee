"""The login throttle's rule: growing delays per (name, address) and per address."""

from __future__ import annotations

from server.throttle import LoginThrottle


def test_delays_grow_after_the_free_attempts_and_stay_per_name_and_address():
    throttle = LoginThrottle(3, 900, address_free=100)
    for t in range(3):
        assert throttle.wait_seconds("Boss", "a", t) == 0
        throttle.attempt("Boss", "a", t)
    assert throttle.wait_seconds("boss", "a", 2) == 1  # names are case-insensitive
    throttle.attempt("boss", "a", 3)
    assert throttle.wait_seconds("boss", "a", 3) == 2
    throttle.attempt("boss", "a", 5)
    assert throttle.wait_seconds("boss", "a", 5) == 4
    for t in range(6, 30):
        throttle.attempt("boss", "a", t)
    assert throttle.wait_seconds("boss", "a", 29) == 900  # capped at the window
    assert throttle.wait_seconds("boss", "b", 29) == 0
    assert throttle.wait_seconds("boss", "a", 29 + 900) == 0  # the window passed


def test_a_success_clears_the_pair_and_gives_back_its_count_on_the_address():
    throttle = LoginThrottle(2, 900, address_free=3)
    throttle.attempt("x", "a", 1)
    throttle.attempt("x", "a", 2)
    throttle.succeeded("x", "a", 2)
    assert throttle.wait_seconds("x", "a", 2) == 0
    throttle.attempt("y", "a", 3)
    throttle.attempt("z", "a", 4)
    assert throttle.wait_seconds("w", "a", 4) == 1  # 3 failures on the address: x, y, z


def test_the_table_stays_bounded():
    throttle = LoginThrottle(3, 900, max_keys=100)
    for i in range(1000):
        throttle.attempt(f"user{i}", f"addr{i}", i)
    assert len(throttle._attempts) <= 100
