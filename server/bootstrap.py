"""First run of an empty server: make the first admin account.

    python -m server.bootstrap --admin NAME [--company "Company name"] [--data-dir DIR]

prints a one-time password for NAME (only its hash is stored). Sign in to the console
with it at /console: with no site yet, the console's first screen is "create a site".
Refuses when NAME is taken. Safe to run on a server with data (it only adds the account).
"""

from __future__ import annotations

import argparse
import re
import secrets
import sys
from pathlib import Path

from domain.admin import check_username
from server.datalock import DataLock
from server.passwords import hash_password
from server.people import new_password
from server.settings import Settings
from server.storage import Storage

__all__ = ["create_admin", "main"]


def create_admin(storage: Storage, username: str, company: str) -> str:
    """Add an admin (on no site yet) and return the one-time password."""
    if (problem := check_username(username)) is not None:
        raise ValueError(problem)
    if storage.username_taken(username):
        raise ValueError(f"username {username!r} is taken")
    company_id = re.sub(r"[^a-z0-9]+", "-", company.lower()).strip("-") or "company"
    storage.ensure_company(company_id, company)
    password = new_password()
    storage.add_user(
        user_id=f"u{secrets.token_hex(5)}",
        company_id=company_id,
        username=username,
        name=username,
        role="admin",
        password_hash=hash_password(password),
        site_ids=[],
        password_to_change=True,
    )
    return password


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[1])
    parser.add_argument("--admin", required=True, help="username of the first admin")
    parser.add_argument("--company", default="company", help="the company's name")
    parser.add_argument("--data-dir", type=Path, default=Settings.from_env().data_dir)
    args = parser.parse_args(argv)
    settings = Settings(data_dir=args.data_dir)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    lock = DataLock(settings.data_dir)  # not while a server runs on this folder
    try:
        storage = Storage(settings.db_path)
        try:
            password = create_admin(storage, args.admin, args.company)
        except ValueError as exc:
            print(f"refused: {exc}", file=sys.stderr)
            return 1
        finally:
            storage.close()
    finally:
        lock.release()
    print(f"admin {args.admin!r} created. One-time password (shown once): {password}")
    print("Sign in at http://<server>/console/ and create your first site.")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
