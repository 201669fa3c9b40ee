"""What the set-up routes (`server/api/admin.py`, `server/api/people.py`) share: strict
bodies and one dependency carrying the storage, the signed-in user and the time of the
request, so that each route is one line calling `server.admin` / `server.people`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import Depends
from pydantic import BaseModel, ConfigDict

from server.api.deps import CurrentCaller, Store
from server.storage import Storage, UserRow

__all__ = ["SetupCall", "SetupCaller", "StrictBody"]


class StrictBody(BaseModel):
    """A request body: unknown fields are refused (422), and no type is coerced (true
    is not a number, "1" is not an int)."""

    model_config = ConfigDict(extra="forbid", strict=True)

    def given(self) -> dict[str, Any]:
        """Only the fields the caller sent (a field left out keeps its value)."""
        return self.model_dump(exclude_unset=True)

    def given_values(self) -> dict[str, Any]:
        """The fields sent with a value (null counts as left out)."""
        return {k: v for k, v in self.model_dump(exclude_unset=True).items() if v is not None}


@dataclass(frozen=True, slots=True)
class SetupCall:
    storage: Storage
    user: UserRow
    now: datetime


async def _setup_call(caller: CurrentCaller, storage: Store) -> SetupCall:
    return SetupCall(storage, caller.user, datetime.now(UTC))


SetupCaller = Annotated[SetupCall, Depends(_setup_call)]
