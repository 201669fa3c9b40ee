"""Open-loop load over loopback: devices syncing 10-record batches while managers read
coverage, at fixed arrival rates, against uvicorn in its own process.

    .venv/bin/python -m bench.load [--seconds 4] [--read-share 0.2] [--clients 2]

Requests are sent on a fixed schedule whatever the server's speed (open loop), and each
latency counts from the moment the request was due, so queueing shows. The rate steps up
until the server falls behind; "saturated" is the most requests/s it completed. Then the
p99 latency at half that rate. The same is measured for /healthz (the cheapest request)
as the baseline, and the server's resident memory is read from /proc.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import tempfile
import time
import uuid
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx

from server.serve import ServerProcess
from server.settings import Settings
from tests.factory import PASSWORD, build_company, label

DEVICES = 20


@dataclass
class Step:
    rate: float
    sent: int
    ok: int
    errors: int
    seconds: float
    latencies: list[float]

    @property
    def throughput(self) -> float:
        return self.ok / self.seconds

    def p(self, q: float) -> float:
        if not self.latencies:
            return float("inf")
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def _records(rng: random.Random) -> list[dict[str, object]]:
    now = datetime.now(UTC)
    records = []
    for i in range(10):
        point = f"c{rng.randrange(1, 21):02d}"
        records.append(
            {
                "id": uuid.uuid4().hex,
                "kind": "scan",
                "site_id": "alpha",
                "device_time": (now - timedelta(seconds=60 - i)).isoformat(),
                "point_id": point,
                "payload": label("alpha", point),
                "method": "qr",
            }
        )
    return records


async def _run(
    url: str, tokens: list[str], manager: str, rate: float, seconds: float, mix: str, share: float
) -> tuple[int, int, int, float, list[float]]:
    rng = random.Random()
    latencies: list[float] = []
    counts = {"ok": 0, "errors": 0}
    limits = httpx.Limits(max_connections=400, max_keepalive_connections=400)
    async with httpx.AsyncClient(base_url=url, timeout=30, limits=limits) as client:

        async def one(due: float) -> None:
            try:
                if mix == "healthz":
                    response = await client.get("/healthz")
                elif rng.random() < share:
                    response = await client.get(
                        "/api/v1/sites/alpha/coverage",
                        params={"period": "day", "visits": "false"},
                        headers={"Authorization": f"Bearer {manager}"},
                    )
                else:
                    body = {"sent_at": datetime.now(UTC).isoformat(), "records": _records(rng)}
                    response = await client.post(
                        "/api/v1/sync",
                        json=body,
                        headers={"Authorization": f"Bearer {rng.choice(tokens)}"},
                    )
                response.raise_for_status()
                counts["ok"] += 1
                latencies.append(time.perf_counter() - due)
            except httpx.HTTPError:
                counts["errors"] += 1

        n = int(rate * seconds)
        started = time.perf_counter() + 0.05
        tasks = []
        for i in range(n):
            due = started + i / rate
            delay = due - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.create_task(one(due)))
        await asyncio.gather(*tasks)
        elapsed = time.perf_counter() - started
    return n, counts["ok"], counts["errors"], elapsed, latencies


def _client(args: tuple) -> tuple[int, int, int, float, list[float]]:
    return asyncio.run(_run(*args))


def step(
    pool: ProcessPoolExecutor,
    clients: int,
    url: str,
    tokens: list[str],
    manager: str,
    rate: float,
    seconds: float,
    mix: str,
    share: float,
) -> Step:
    """`rate` requests/s in all, shared by `clients` client processes."""
    jobs = [(url, tokens, manager, rate / clients, seconds, mix, share)] * clients
    parts = list(pool.map(_client, jobs))
    return Step(
        rate,
        sum(p[0] for p in parts),
        sum(p[1] for p in parts),
        sum(p[2] for p in parts),
        max(p[3] for p in parts),
        [lat for p in parts for lat in p[4]],
    )


def saturate(run, rates: list[float]) -> tuple[Step, list[Step]]:
    """Step the rate up until the server falls behind; the step that completed most."""
    steps = []
    for rate in rates:
        s = run(rate)
        steps.append(s)
        print(
            f"  offered {rate:6.0f}/s: done {s.throughput:6.0f}/s, p50 {s.p(0.5) * 1000:6.0f} ms,"
            f" p99 {s.p(0.99) * 1000:6.0f} ms, errors {s.errors}",
            flush=True,
        )
        if s.throughput < 0.9 * rate or s.p(0.99) > 2.0 or s.errors:
            break
    return max(steps, key=lambda s: s.throughput), steps


def cpu_seconds(pid: int) -> float:
    """User + system CPU time the process has used (robust to a busy machine)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rss_mb(pid: int) -> tuple[float, float]:
    fields = dict(
        line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines()
    )
    return int(fields["VmRSS"].split()[0]) / 1024, int(fields["VmHWM"].split()[0]) / 1024


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=4)
    parser.add_argument("--read-share", type=float, default=0.2)
    parser.add_argument("--clients", type=int, default=2)
    parser.add_argument("--server-args", default="", help="extra uvicorn arguments")
    args = parser.parse_args()
    rates = [50, 100, 200, 300, 400, 500, 600, 800, 1000, 1200, 1500, 2000]
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(data_dir=Path(tmp))
        build_company(settings)
        server = ServerProcess(settings.data_dir, None, *args.server_args.split()).start()
        try:
            with httpx.Client(base_url=server.url, timeout=30) as c:

                def login(user: str, device: str) -> str:
                    body = {"username": user, "password": PASSWORD, "device_id": device}
                    return c.post("/api/v1/auth/login", json=body).json()["token"]

                tokens = [login(("guard", "guard2")[i % 2], f"dev{i}") for i in range(DEVICES)]
                manager = login("manager", "console")
            with ProcessPoolExecutor(args.clients) as pool:

                def run(mix: str, share: float = 0.0):
                    return lambda rate: step(
                        pool,
                        args.clients,
                        server.url,
                        tokens,
                        manager,
                        rate,
                        args.seconds,
                        mix,
                        share,
                    )

                print("baseline: /healthz")
                base, _ = saturate(run("healthz"), rates)
                print(f"mixed: syncs of 10 records, {args.read_share:.0%} coverage reads")
                best, _ = saturate(run("mixed", args.read_share), rates)
                half_rate = round(best.throughput / 2)
                pid = server.process.pid  # type: ignore[union-attr]
                cpu_before = cpu_seconds(pid)
                half = run("mixed", args.read_share)(half_rate)
                cpu_ms = (cpu_seconds(pid) - cpu_before) * 1000 / max(half.ok, 1)
                rss, peak = rss_mb(pid)
        finally:
            server.stop()
    print(f"/healthz saturated:   {base.throughput:7.0f} requests/s")
    print(f"mixed load saturated: {best.throughput:7.0f} requests/s")
    print(
        f"at half that ({half_rate}/s): p50 {half.p(0.5) * 1000:.0f} ms,"
        f" p99 {half.p(0.99) * 1000:.0f} ms, p99.9 {half.p(0.999) * 1000:.0f} ms,"
        f" errors {half.errors}, median {statistics.median(half.latencies) * 1000:.0f} ms"
    )
    print(f"server CPU per mixed request: {cpu_ms:.2f} ms (≈ {1000 / cpu_ms:.0f}/s per core)")
    print(f"server RSS: {rss:.0f} MB now, {peak:.0f} MB peak")
    print(f"ratio mixed/healthz saturated: {best.throughput / base.throughput:.2f}")


if __name__ == "__main__":
    main()
