"""Open-loop load over loopback: devices syncing 10-record batches while managers read
today's coverage, at fixed arrival rates, against uvicorn in its own process.

The company: SITES sites of 20 checkpoints with GUARDS guards (one device each) who sync
ten scans of their site at a time, and site alpha, whose manager reads today's coverage
(rounds every half hour since midnight: up to 960 scans). The readers' site takes no
syncs during the run: a coverage read costs in proportion to the day's scans, and this
load writes thousands a second, far beyond any real site's day, which would measure
how the bench grows its own data rather than the request path.

    .venv/bin/python -m bench.load [--seconds 4] [--read-share 0.2] [--clients 2]

Requests are sent on a fixed schedule whatever the server's speed (open loop), and each
latency counts from the moment the request was due, so queueing shows. The rate steps up
until the server falls behind; "saturated" is the most requests/s it completed. Then
p50/p95/p99 at half that rate. The same is measured for /healthz (the cheapest request)
as the baseline in the same run, so the ratio does not depend on the machine; the
server's resident memory is read from /proc.

The load comes from a lean HTTP/1.1 keep-alive client on raw asyncio streams (uvloop),
requests encoded ahead of time: with httpx the client took more CPU than the server and,
on a 2-core machine, capped what could be measured (~500 /healthz per second).
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import os
import random
import secrets
import tempfile
import time
import uuid
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import orjson
import uvloop

from domain.labels import label_payload, public_key_of
from domain.models import Point, PointKind
from server.ingest import ingest_batch
from server.login import hash_token
from server.serve import ServerProcess
from server.settings import Settings
from server.storage import Storage
from tests.factory import PASSWORD, build_company, label

# The sites the devices sync to (20 checkpoints each) and the guards of each (one device
# each). 2,000 devices: at 800 syncs/s each syncs every 2.5 s (a phone's routine is 30 s),
# so a person's and a point's stored scans stay within a busy real site's density. With
# 100 devices (--sites 20 --guards 5) each would "scan" 60 points a second.
SITES = 200
GUARDS = 10
CONNECTIONS = 128  # per client process; a request waits for a free one (and it shows)
DEFAULT_SERVER_ARGS = "--no-access-log"


@dataclass
class Step:
    rate: float
    sent: int
    ok: int
    errors: int
    seconds: float
    latencies: list[float]
    client_cpu: float = 0.0  # CPU seconds the load generator's processes used
    busy_cores: float = 0.0  # of the machine's, on average over the step

    @property
    def throughput(self) -> float:
        return self.ok / self.seconds

    def p(self, q: float) -> float:
        if not self.latencies:
            return float("inf")
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


Device = tuple[str, list[str]]  # (token, the labels of its site's points in walking order)


def _sync_body(rng: random.Random, labels: list[str]) -> bytes:
    """Ten scans of the device's site, a round's next points, the last one just now."""
    now = datetime.now(UTC)
    first = rng.randrange(len(labels))
    records = []
    for i in range(10):
        payload = labels[(first + i) % len(labels)]
        records.append(
            {
                "id": uuid.uuid4().hex,
                "kind": "scan",
                "site_id": payload.split(".")[1],
                "device_time": (now - timedelta(seconds=30 * (9 - i))).isoformat(),
                "point_id": payload.split(".")[2],
                "payload": payload,
                "method": "qr",
            }
        )
    return orjson.dumps({"sent_at": now.isoformat(), "records": records})


def build_load_company(
    settings: Settings, sites: int = SITES, guards: int = GUARDS
) -> list[Device]:
    """The test company (alpha: the site the managers read, with today's rounds walked
    every half hour), and `sites` more sites of 20 checkpoints and `guards` guards each, whose
    devices sync. Tokens are made directly (the login's password hash is not measured)."""
    build_company(settings)
    storage = Storage(settings.db_path)
    now = datetime.now(UTC)
    guard = storage.user_by_name("guard")
    assert guard is not None
    midnight = now.replace(hour=0, minute=0, second=0, microsecond=0) - timedelta(hours=8)
    midnight += timedelta(days=1) if now - midnight >= timedelta(days=1) else timedelta()
    day = []
    slot = midnight
    while slot + timedelta(minutes=20) < now:
        for i in range(1, 21):
            point = f"c{i:02d}"
            at = slot + timedelta(minutes=i)
            day.append(_scan("alpha", point, label("alpha", point), at))
        slot += timedelta(minutes=30)
    for chunk in range(0, len(day), 500):
        batch = {"sent_at": now.isoformat(), "records": day[chunk : chunk + 500]}
        results = ingest_batch(storage, guard, "d-alpha", batch, now)
        assert all(r["status"] == "accepted" for r in results), results[:2]
    hashed = guard.password_hash
    devices: list[Device] = []
    for n in range(sites):
        site = f"s{n:02d}"
        key = hashlib.sha256(f"load-{site}".encode()).digest()
        storage.add_site(
            site_id=site,
            company_id="acme",
            name=f"Site {n}",
            tz="Asia/Shanghai",
            label_key=key,
            label_public_key=public_key_of(key),
        )
        points = [
            Point(
                f"{site}-c{i:02d}",
                site,
                PointKind.CHECKPOINT,
                f"Checkpoint {i}",
                "Z",
                0.05 * i,
                0.5,
                31.2 + n * 0.01 + i * 0.0002,
                121.4,
                short_code=f"S{n:02d}C{i:02d}",
            )
            for i in range(1, 21)
        ]
        storage.add_points(points)
        labels = [label_payload(site, p.id, key) for p in points]
        for g in range(guards):
            user_id = f"u-{site}-g{g}"
            storage.add_user(
                user_id=user_id,
                company_id="acme",
                username=user_id,
                name=user_id,
                role="guard",
                password_hash=hashed,
                site_ids=[site],
            )
            token = secrets.token_urlsafe(32)
            storage.add_token(hash_token(token), user_id, f"dev-{site}-{g}", now)
            devices.append((token, labels))
    storage.close()
    return devices


def _scan(site: str, point: str, payload: str, at: datetime) -> dict[str, object]:
    return {
        "id": uuid.uuid4().hex,
        "kind": "scan",
        "site_id": site,
        "device_time": at.isoformat(),
        "point_id": point,
        "payload": payload,
        "method": "qr",
    }


def _request(method: str, path: str, token: str | None = None, body: bytes = b"") -> bytes:
    head = [f"{method} {path} HTTP/1.1", "Host: 127.0.0.1"]
    if token:
        head.append(f"Authorization: Bearer {token}")
    if method == "POST":
        head += ["Content-Type: application/json", f"Content-Length: {len(body)}"]
    return ("\r\n".join(head) + "\r\n\r\n").encode() + body


class Pool:
    """Keep-alive connections to one server; one request at a time on each."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.idle: asyncio.LifoQueue[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = (
            asyncio.LifoQueue()
        )
        self.opened = 0

    async def send(self, request: bytes) -> int:
        """The response's status (its body is read and dropped)."""
        if self.idle.empty() and self.opened < CONNECTIONS:
            self.opened += 1
            connection = await asyncio.open_connection("127.0.0.1", self.port)
        else:
            connection = await self.idle.get()
        reader, writer = connection
        try:
            writer.write(request)
            head = await reader.readuntil(b"\r\n\r\n")
            status = int(head[9:12])
            length = 0
            for line in head.split(b"\r\n"):
                if line[:15].lower() == b"content-length:":
                    length = int(line[15:])
            await reader.readexactly(length)
        except BaseException:
            writer.close()
            self.opened -= 1
            raise
        self.idle.put_nowait(connection)
        return status

    async def close(self) -> None:
        while not self.idle.empty():
            _, writer = self.idle.get_nowait()
            writer.close()


async def _run(
    port: int,
    devices: list[Device],
    manager: str,
    rate: float,
    seconds: float,
    mix: str,
    share: float,
) -> tuple[int, int, int, float, list[float], float]:
    rng = random.Random()
    latencies: list[float] = []
    counts = {"ok": 0, "errors": 0}
    pool = Pool(port)
    health = _request("GET", "/healthz")
    read = _request("GET", "/api/v1/sites/alpha/coverage?period=day&visits=false", manager)

    async def one(due: float, request: bytes) -> None:
        try:
            status = await pool.send(request)
        except (OSError, asyncio.IncompleteReadError, ValueError):
            status = 0
        if status == 200:
            counts["ok"] += 1
            latencies.append(time.perf_counter() - due)
        else:
            counts["errors"] += 1

    n = int(rate * seconds)
    requests = [
        health
        if mix == "healthz"
        else read
        if rng.random() < share
        else _sync(rng, rng.choice(devices))
        for _ in range(n)
    ]
    cpu_before = time.process_time()
    started = time.perf_counter() + 0.05
    tasks = []
    for i, request in enumerate(requests):
        due = started + i / rate
        delay = due - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(one(due, request)))
    await asyncio.gather(*tasks)
    elapsed = time.perf_counter() - started
    await pool.close()
    cpu = time.process_time() - cpu_before
    return n, counts["ok"], counts["errors"], elapsed, latencies, cpu


def _sync(rng: random.Random, device: Device) -> bytes:
    token, labels = device
    return _request("POST", "/api/v1/sync", token, _sync_body(rng, labels))


def _client(args: tuple) -> tuple[int, int, int, float, list[float], float]:
    return uvloop.run(_run(*args))


def step(
    pool: ProcessPoolExecutor,
    clients: int,
    port: int,
    devices: list[Device],
    manager: str,
    rate: float,
    seconds: float,
    mix: str,
    share: float,
) -> Step:
    """`rate` requests/s in all, shared by `clients` client processes."""
    jobs = [(port, devices, manager, rate / clients, seconds, mix, share)] * clients
    busy_before = machine_busy_seconds()
    parts = list(pool.map(_client, jobs))
    busy = machine_busy_seconds() - busy_before
    return Step(
        rate,
        sum(p[0] for p in parts),
        sum(p[1] for p in parts),
        sum(p[2] for p in parts),
        max(p[3] for p in parts),
        [lat for p in parts for lat in p[4]],
        sum(p[5] for p in parts),
        busy / max(p[3] for p in parts),
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


def machine_busy_seconds() -> float:
    """CPU seconds all of the machine's cores have spent not idle, since boot."""
    fields = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + fields[4]  # idle, iowait
    return (sum(fields[:8]) - idle) / os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """User + system CPU time the process has used (robust to a busy machine)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def with_server_cpu(pid: int, run, rate: float) -> tuple[Step, float]:
    """One step of `run` at `rate`, and the server's CPU per request over it (ms)."""
    before = cpu_seconds(pid)
    done = run(rate)
    return done, (cpu_seconds(pid) - before) * 1000 / max(done.ok, 1)


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
    parser.add_argument("--sites", type=int, default=SITES, help="sites the devices sync to")
    parser.add_argument("--guards", type=int, default=GUARDS, help="devices per site")
    parser.add_argument(
        "--server-args", default=DEFAULT_SERVER_ARGS, help="uvicorn arguments (quote them)"
    )
    args = parser.parse_args()
    rates: list[float] = [
        100,
        200,
        300,
        400,
        500,
        600,
        800,
        1000,
        1200,
        1500,
        2000,
        2500,
        3000,
        4000,
    ]
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(data_dir=Path(tmp))
        devices = build_load_company(settings, args.sites, args.guards)
        server = ServerProcess(settings.data_dir, None, *args.server_args.split()).start()
        try:
            with httpx.Client(base_url=server.url, timeout=30) as c:
                body = {"username": "manager", "password": PASSWORD, "device_id": "console"}
                manager = c.post("/api/v1/auth/login", json=body).json()["token"]
            with ProcessPoolExecutor(args.clients) as pool:

                def run(mix: str, share: float = 0.0):
                    return lambda rate: step(
                        pool,
                        args.clients,
                        server.port,
                        devices,
                        manager,
                        rate,
                        args.seconds,
                        mix,
                        share,
                    )

                print("baseline: /healthz")
                base, _ = saturate(run("healthz"), rates)
                print(
                    f"mixed: {len(devices)} devices syncing 10 scans,"
                    f" {args.read_share:.0%} reads of today's coverage"
                )
                best, _ = saturate(run("mixed", args.read_share), rates)
                half_rate = round(best.throughput / 2)
                pid = server.process.pid  # type: ignore[union-attr]
                half, cpu_ms = with_server_cpu(pid, run("mixed", args.read_share), half_rate)
                rss, peak = rss_mb(pid)
                # Each kind alone at the same rate: where the mixed request's CPU goes.
                sync_ms, read_ms = (
                    with_server_cpu(pid, run("mixed", share), half_rate)[1] for share in (0.0, 1.0)
                )
        finally:
            server.stop()
    print(f"/healthz saturated:   {base.throughput:7.0f} requests/s")
    print(f"mixed load saturated: {best.throughput:7.0f} requests/s")
    print(
        f"  at that step the machine's cores were busy {best.busy_cores:.2f} of"
        f" {os.cpu_count()}; the load generator's own CPU:"
        f" {best.client_cpu * 1000 / max(best.ok, 1):.2f}"
        " ms per request"
    )
    print(
        f"at half that ({half_rate}/s): p50 {half.p(0.5) * 1000:.1f} ms,"
        f" p95 {half.p(0.95) * 1000:.1f} ms, p99 {half.p(0.99) * 1000:.1f} ms,"
        f" errors {half.errors} of {half.sent}"
    )
    print(f"server CPU per mixed request: {cpu_ms:.2f} ms (≈ {1000 / cpu_ms:.0f}/s per core)")
    print(
        f"  each kind alone at that rate: a sync {sync_ms:.2f} ms, a coverage read {read_ms:.2f} ms"
    )
    print(f"server RSS: {rss:.0f} MB now, {peak:.0f} MB peak")
    print(f"ratio mixed/healthz saturated: {best.throughput / base.throughput:.2f}")


if __name__ == "__main__":
    main()
