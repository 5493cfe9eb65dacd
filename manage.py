"""Administration from the command line, with the same settings as the bot.

python manage.py forget ID [ID ...]   erase a person (Teams user id and/or Entra object id)
                                      from every conversation, and delete the stored plans
                                      that name them
python manage.py purge                delete conversations past their retention period now
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from zoneinfo import ZoneInfo

from app import housekeeping_of, open_stores
from bot.tasks import clock_in
from settings import Settings, SettingsError


async def _run(command: str, ids: list[str], settings: Settings) -> int:
    store, documents = open_stores(settings)
    housekeeping = housekeeping_of(settings, store, documents)
    try:
        if command == "forget":
            count = await housekeeping.forget_person(frozenset(ids))
            print(f"erased from {count} conversation(s)")
        else:
            now = clock_in(ZoneInfo(settings.time_zone))()
            count = await housekeeping.purge_expired(now)
            print(f"deleted {count} expired conversation(s)")
    finally:
        await store.close()
        await documents.close()
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="manage.py", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    forget = sub.add_parser("forget", help="erase a person from every conversation")
    forget.add_argument("ids", nargs="+", help="Teams user id and/or Entra object id")
    sub.add_parser("purge", help="delete conversations past their retention period")
    args = parser.parse_args(argv)
    try:
        settings = Settings.from_env()
        return asyncio.run(_run(args.command, getattr(args, "ids", []), settings))
    except SettingsError as error:
        print(f"manage.py: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    raise SystemExit(main())
