"""Operator commands over a data folder (default: $ROUNDS_DATA_DIR or var/server).

python -m server.tools verify              # every site's record chain; exit 1 if broken
python -m server.tools head SITE           # a site's chain head, to print or write down
python -m server.tools backup DEST         # consistent online copy (server may run)
python -m server.tools restore BACKUP      # bring a backup back (server stopped)
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from server.integrity import BackupError, backup, chain_head, restore, verify
from server.settings import Settings
from server.storage import Storage

__all__ = ["main"]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m server.tools", description=__doc__)
    parser.add_argument("--data-dir", type=Path, default=Settings.from_env().data_dir)
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("verify", help="check every site's record chain")
    head = commands.add_parser("head", help="print a site's chain head")
    head.add_argument("site_id")
    back = commands.add_parser("backup", help="copy the database and photos into DEST")
    back.add_argument("dest", type=Path)
    rest = commands.add_parser("restore", help="restore a backup into the data folder")
    rest.add_argument("backup", type=Path)
    args = parser.parse_args(argv)
    data_dir: Path = args.data_dir
    try:
        if args.command == "backup":
            m = backup(data_dir, args.dest)
            print(f"backed up {m.records} records and {m.photos} photos to {args.dest}")
            return 0
        if args.command == "restore":
            m = restore(args.backup, data_dir)
            print(f"restored {m.records} records and {m.photos} photos into {data_dir}")
            return 0
    except (BackupError, RuntimeError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    storage = Storage(data_dir / "rounds.db")
    try:
        if args.command == "head":
            print(chain_head(storage, args.site_id))
            return 0
        chains = verify(storage)
    finally:
        storage.close()
    for chain in chains:
        print(chain.line())
    return 1 if any(c.broken for c in chains) else 0


if __name__ == "__main__":
    sys.exit(main())
