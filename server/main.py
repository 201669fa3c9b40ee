"""The FastAPI application: `create_app(settings)` builds one over its own data folder."""

from __future__ import annotations

import asyncio
import gc
from contextlib import asynccontextmanager

import anyio
import flet.fastapi as flet_fastapi
from fastapi import FastAPI
from fastapi.responses import RedirectResponse
from fastapi_offline import FastAPIOffline

from server.alert_push import AlertPusher
from server.api import api_router
from server.api.openapi import install_openapi
from server.blobs import LocalBlobStore
from server.checkpoint import WalCheckpointer
from server.console import CONSOLE_PATH, mount_console
from server.datalock import DataLock
from server.settings import Settings
from server.storage import Storage
from server.throttle import LoginThrottle

__all__ = ["create_app"]


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings.from_env()

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        lock = DataLock(settings.data_dir)  # refuses a second worker on this folder
        try:
            app.state.storage = Storage(settings.db_path)
        except BaseException:
            lock.release()  # a failed start leaves the folder free
            raise
        # Checkpoints run in their own thread, not inside a request's commit.
        app.state.storage.defer_checkpoints()
        checkpointer = WalCheckpointer(settings.db_path).start()
        app.state.hash_limiter = anyio.CapacityLimiter(settings.login_hash_threads)
        # The console's Flet sessions (mounted apps get no lifespan of their own).
        await flet_fastapi.app_manager.start()
        pusher = AlertPusher(lambda: app.state.storage, interval=settings.alert_push_seconds)
        push_task = asyncio.create_task(pusher.run())
        # What is built by now lives as long as the server: out of the cycle collector's
        # sight, its full collections under load scan only requests' objects (-18 % CPU
        # per 500-record sync, bench.sync_ingest).
        gc.collect()
        gc.freeze()
        try:
            yield
        finally:
            gc.unfreeze()
            push_task.cancel()
            await flet_fastapi.app_manager.shutdown()
            checkpointer.stop()
            app.state.storage.close()
            lock.release()

    # Swagger UI and ReDoc from the package's own copies, not a CDN: they work offline.
    app = FastAPIOffline(
        title="Rounds",
        version="0.1.0",
        lifespan=lifespan,
        description="Patrol and cleaning-inspection coverage for property-management teams.",
    )
    app.state.settings = settings
    app.state.blobs = LocalBlobStore(settings.blob_dir)
    app.state.login_throttle = LoginThrottle(
        settings.login_attempts,
        settings.login_window_seconds,
        address_free=settings.login_address_attempts,
        base_delay=settings.login_base_delay,
    )

    # Routes are matched in order: the health probe first, as load balancers call it often.
    @app.get("/healthz", include_in_schema=False)
    async def health() -> dict[str, str]:
        return {"status": "ok"}

    app.include_router(api_router)
    install_openapi(app)
    mount_console(app)

    @app.get("/", include_in_schema=False)
    async def root() -> RedirectResponse:
        return RedirectResponse("/docs")

    @app.get(CONSOLE_PATH, include_in_schema=False)
    async def console_slash() -> RedirectResponse:
        return RedirectResponse(f"{CONSOLE_PATH}/")

    return app
