"""People of a site: accounts, roles, sites, passwords or PINs, deactivation, devices.

Called by the API (`server/api/people.py`) and the console alike, after the same check
(`server.access.require_admin`: another site → 404, a role that does not administer → 403).

Rules:
- A person is managed through a site they are on; someone on none of the caller's sites
  answers 404. The caller can only give sites they are on themselves (404 otherwise).
- Only an admin may make or change an admin (a manager cannot raise anyone, or
  themselves, to admin); nobody deactivates or demotes themselves.
- A password or PIN left out is generated and shown once in the answer; only its argon2
  hash is stored. A reset, a deactivation or "sign out this device" revokes tokens, so a
  lost phone stops working at its next request.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping, Sequence
from dataclasses import asdict
from datetime import datetime
from typing import Any

from domain.admin import check_username, credential_problem, parse_role, printable
from domain.models import Role
from server.access import AccessDenied, require_admin, role_of
from server.admin import AdminError, audit
from server.passwords import hash_password
from server.storage import Storage, UserRow
from server.storage_admin import PersonRow

__all__ = [
    "PersonDraft",
    "check_person",
    "create_person",
    "deactivate_person",
    "list_devices",
    "list_people",
    "new_password",
    "prepare_secret",
    "reset_secret",
    "sign_out_device",
    "update_person",
]

PersonDraft = dict[str, Any]


def new_password() -> str:
    """A one-time password that reads aloud well (12 characters, no look-alikes)."""
    alphabet = "abcdefghjkmnpqrstuvwxyz23456789"
    return "".join(secrets.choice(alphabet) for _ in range(12))


def _public(p: PersonRow) -> dict[str, Any]:
    return asdict(p) | {"site_ids": list(p.site_ids)}


def _may_grant(user: UserRow, role: Role) -> str | None:
    if role is Role.ADMIN and role_of(user) is not Role.ADMIN:
        return "only an admin can make someone an admin"
    return None


def _person_on_site(storage: Storage, site_id: str, person_id: str) -> PersonRow:
    found = storage.people(site_id=site_id, user_id=person_id)
    if not found:
        raise AdminError(404, "person not found")
    return found[0]


def list_people(storage: Storage, user: UserRow, site_id: str) -> list[dict[str, Any]]:
    require_admin(user, site_id)
    return [_public(p) for p in storage.people(site_id=site_id)]


def check_person(
    storage: Storage,
    user: UserRow,
    site_id: str,
    data: Mapping[str, Any],
    taken: set[str] | None = None,
) -> tuple[PersonDraft, list[str]]:
    """A new person's fields checked: (draft, problems). `taken` adds usernames already
    claimed (earlier rows of the same import)."""
    problems = []
    username = str(data.get("username") or "").strip()
    if (error := check_username(username)) is not None:
        problems.append(error)
    elif storage.username_taken(username) or username.lower() in (taken or set()):
        problems.append(f"username {username!r} is taken")
    name = str(data.get("name") or "").strip()
    if not 1 <= len(name) <= 40 or not printable(name):
        problems.append("name is required, at most 40 characters")
    role = parse_role(str(data.get("role") or ""))
    if role is None:
        problems.append("role must be one of " + ", ".join(r.value for r in Role))
    elif (error := _may_grant(user, role)) is not None:
        problems.append(error)
    site_ids = data.get("site_ids") or [site_id]
    if not isinstance(site_ids, list) or not all(isinstance(s, str) for s in site_ids):
        problems.append("site_ids is a list of site ids")
        site_ids = [site_id]
    secret = str(data.get("password") or "")
    if secret and role is not None and (error := credential_problem(secret, role)) is not None:
        problems.append(error)
    draft = {
        "username": username,
        "name": name,
        "role": role.value if role else "",
        "site_ids": sorted(set(site_ids)),
        "password": secret,
    }
    return draft, problems


def create_person(
    storage: Storage,
    user: UserRow,
    site_id: str,
    data: Mapping[str, Any],
    now: datetime,
) -> dict[str, Any]:
    """A new account; answers with `one_time_password` when none was given."""
    require_admin(user, site_id)
    draft, problems = check_person(storage, user, site_id, data)
    for other in draft["site_ids"]:
        require_admin(user, other)
    if problems:
        raise AdminError(422, "; ".join(problems))
    return add_people(storage, user, site_id, [draft], now)[0]


def prepare_secret(draft: PersonDraft) -> tuple[str, str | None]:
    """The draft's password hash, and the one-time password made for it if it gave none.
    CPU-bound (argon2): async callers run it in a worker thread."""
    secret = draft["password"] or new_password()
    return hash_password(secret), None if draft["password"] else secret


def add_people(
    storage: Storage,
    user: UserRow,
    site_id: str,
    drafts: Sequence[PersonDraft],
    now: datetime,
    prepared: Sequence[tuple[str, str | None]] | None = None,
) -> list[dict[str, Any]]:
    """Store checked drafts in one transaction (all or none). `prepared` holds each
    draft's (hash, generated password or None) from `prepare_secrets`, made off the event
    loop; without it the hashes are made here (~0.2 s of CPU each)."""
    if prepared is None:
        prepared = [prepare_secret(d) for d in drafts]
    out = []
    with storage.transaction():
        for d, (password_hash, generated) in zip(drafts, prepared, strict=True):
            person_id = f"u{secrets.token_hex(5)}"
            storage.add_user(
                user_id=person_id,
                company_id=user.company_id,
                username=d["username"],
                name=d["name"],
                role=d["role"],
                password_hash=password_hash,
                site_ids=d["site_ids"],
                password_to_change=True,
            )
            public = {k: v for k, v in d.items() if k != "password"} | {"id": person_id}
            audit(storage, user, site_id, "person.create", person_id, None, public, now)
            out.append(public | {"one_time_password": generated})
    return out


def update_person(
    storage: Storage,
    user: UserRow,
    site_id: str,
    person_id: str,
    data: Mapping[str, Any],
    now: datetime,
) -> dict[str, Any]:
    """Change a person's name, role or sites (sites: only among the caller's own)."""
    require_admin(user, site_id)
    person = _person_on_site(storage, site_id, person_id)
    problems, fields = [], {}
    if person.role == Role.ADMIN and role_of(user) is not Role.ADMIN:
        raise AccessDenied(403, "only an admin can change an admin")
    if "name" in data:
        fields["name"] = str(data["name"] or "").strip()
        if not 1 <= len(fields["name"]) <= 40 or not printable(fields["name"]):
            problems.append("name is required, at most 40 characters")
    if "role" in data:
        role = parse_role(str(data["role"] or ""))
        if role is None:
            problems.append("role must be one of " + ", ".join(r.value for r in Role))
        elif (error := _may_grant(user, role)) is not None:
            raise AccessDenied(403, error)
        elif person_id == user.id and role != Role(person.role):
            problems.append("you cannot change your own role")
        else:
            fields["role"] = role.value
    sites = None
    if "site_ids" in data:
        sites = data["site_ids"]
        if not isinstance(sites, list) or not sites or not all(isinstance(s, str) for s in sites):
            problems.append("site_ids is a non-empty list of site ids")
            sites = None
        else:
            # Sites the caller cannot see stay as they are; the ones they name must be theirs.
            for s in sites:
                require_admin(user, s)
            hidden = [s for s in person.site_ids if s not in user.site_ids]
            sites = sorted(set(sites) | set(hidden))
    if problems:
        raise AdminError(422, "; ".join(problems))
    before = _public(person)
    with storage.transaction():
        if fields:
            storage.update_person(person_id, fields)
        if sites is not None:
            storage.set_person_sites(person_id, sites)
        after = _public(storage.people(user_id=person_id)[0])
        audit(storage, user, site_id, "person.update", person_id, before, after, now)
    return after


def reset_secret(
    storage: Storage,
    user: UserRow,
    site_id: str,
    person_id: str,
    secret: str | None,
    now: datetime,
) -> dict[str, Any]:
    """Set a new password or PIN (generated when None, shown once); signs the person out
    everywhere."""
    require_admin(user, site_id)
    person = _person_on_site(storage, site_id, person_id)
    if person.role == Role.ADMIN and role_of(user) is not Role.ADMIN and person_id != user.id:
        raise AccessDenied(403, "only an admin can reset an admin's password")
    role = parse_role(person.role) or Role.GUARD
    if secret and (error := credential_problem(secret, role)) is not None:
        raise AdminError(422, error)
    plain = secret or new_password()
    with storage.transaction():
        storage.update_person(
            person_id, {"password_hash": hash_password(plain), "password_to_change": 1}
        )
        revoked = storage.revoke_device(person_id, None, now)
        audit(storage, user, site_id, "person.password", person_id, None, {"revoked": revoked}, now)
    return {"id": person_id, "one_time_password": None if secret else plain, "signed_out": revoked}


def deactivate_person(
    storage: Storage, user: UserRow, site_id: str, person_id: str, now: datetime
) -> dict[str, Any]:
    """The person can no longer sign in, and every device is signed out. Their records
    stay (append-only)."""
    require_admin(user, site_id)
    person = _person_on_site(storage, site_id, person_id)
    if person_id == user.id:
        raise AdminError(409, "you cannot deactivate yourself")
    if person.role == Role.ADMIN and role_of(user) is not Role.ADMIN:
        raise AccessDenied(403, "only an admin can deactivate an admin")
    with storage.transaction():
        storage.update_person(person_id, {"active": 0})
        revoked = storage.revoke_device(person_id, None, now)
        audit(
            storage,
            user,
            site_id,
            "person.deactivate",
            person_id,
            _public(person),
            {"active": False, "revoked": revoked},
            now,
        )
    return {"id": person_id, "active": False, "signed_out": revoked}


def list_devices(
    storage: Storage, user: UserRow, site_id: str, person_id: str
) -> list[dict[str, Any]]:
    require_admin(user, site_id)
    _person_on_site(storage, site_id, person_id)
    return [asdict(d) for d in storage.devices(person_id)]


def sign_out_device(
    storage: Storage,
    user: UserRow,
    site_id: str,
    person_id: str,
    device_id: str,
    now: datetime,
) -> dict[str, Any]:
    """Revoke the person's tokens on that device (a lost phone): its next request is 401."""
    require_admin(user, site_id)
    _person_on_site(storage, site_id, person_id)
    with storage.transaction():
        revoked = storage.revoke_device(person_id, device_id, now)
        audit(
            storage,
            user,
            site_id,
            "device.sign_out",
            f"{person_id}/{device_id}",
            None,
            {"revoked": revoked},
            now,
        )
    return {"device_id": device_id, "signed_out": revoked}
