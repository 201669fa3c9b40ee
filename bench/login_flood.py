"""/healthz latency while 40 clients send wrong passwords at once, against a quiet server.

    .venv/bin/python -m bench.login_flood [--clients 40] [--seconds 6]

Each bad login comes from its own loopback address and names its own user, so the
throttle lets every one of them reach the password hash (the worst case for the CPU).
Prints the median and max /healthz time when quiet and under the flood, and their ratio
(argon2 on the event loop made it ~3 s median; off the loop it should stay near 1×).
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from pathlib import Path

import httpx

from server.serve import ServerProcess
from server.settings import Settings
from tests.factory import build_company


async def probe(url: str, until: float) -> list[float]:
    """One /healthz every 50 ms (open loop: a stalled server does not slow the probes)."""

    async def one(client: httpx.AsyncClient) -> float:
        started = time.perf_counter()
        (await client.get("/healthz")).raise_for_status()
        return time.perf_counter() - started

    tasks = []
    async with httpx.AsyncClient(base_url=url, timeout=60) as client:
        while time.perf_counter() < until:
            tasks.append(asyncio.create_task(one(client)))
            await asyncio.sleep(0.05)
        return list(await asyncio.gather(*tasks))


async def bad_logins(url: str, client_no: int, until: float) -> int:
    sent = 0
    while time.perf_counter() < until:
        address = f"127.{1 + client_no}.{sent // 250}.{sent % 250 + 1}"
        transport = httpx.AsyncHTTPTransport(local_address=address)
        async with httpx.AsyncClient(base_url=url, transport=transport, timeout=60) as client:
            await client.post(
                "/api/v1/auth/login",
                json={"username": f"nobody{client_no}-{sent}", "password": "x", "device_id": "b"},
            )
        sent += 1
    return sent


async def run(url: str, clients: int, seconds: float) -> tuple[list[float], list[float], int]:
    quiet = await probe(url, time.perf_counter() + 2)
    until = time.perf_counter() + seconds
    flood = asyncio.gather(*(bad_logins(url, i, until) for i in range(clients)))
    busy = await probe(url, until)
    return quiet, busy, sum(await flood)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--clients", type=int, default=40)
    parser.add_argument("--seconds", type=float, default=6)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(data_dir=Path(tmp))
        build_company(settings)
        server = ServerProcess(settings.data_dir).start()
        try:
            quiet, busy, logins = asyncio.run(run(server.url, args.clients, args.seconds))
        finally:
            server.stop()
    q, b = statistics.median(quiet), statistics.median(busy)
    print(f"/healthz quiet: median {q * 1000:.1f} ms, max {max(quiet) * 1000:.1f} ms")
    print(
        f"/healthz under {args.clients} concurrent bad logins: median {b * 1000:.1f} ms,"
        f" max {max(busy) * 1000:.1f} ms ({logins} logins in {args.seconds:.0f} s)"
    )
    print(f"ratio flooded/quiet median: {b / q:.1f}x")


if __name__ == "__main__":
    main()
