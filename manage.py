"""Administration from the command line, with the same settings as the bot.

python manage.py forget ID [ID ...]   erase a person (Teams user id and/or Entra object id)
                                      from every conversation, and delete the stored plans
                                      that name them
python manage.py purge                delete conversations past their retention period now
python manage.py check-concept FILE   check a concept file (docs/concept-format.md) and say in
                                      Danish what is wrong with it; exit status 1 if anything is wrong
python manage.py reindex [--check]    rebuild the year's index (each person's conversations,
                                      each workplace's round) from the conversations; safe
                                      while the bot runs. --check only counts the records that
                                      disagree, writing nothing (exit code 1 if any do)
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from zoneinfo import ZoneInfo

from app import housekeeping_of, open_stores
from bot.tasks import clock_in
from dialogs.concept import ConceptError, load_concept
from settings import Settings, SettingsError


def check_concept(path: str) -> int:
    """Load the concept file as the bot would; print what is wrong (in Danish) or what it
    holds. Needs no settings."""
    try:
        concept = load_concept(path)
    except ConceptError as error:
        print(error.danish, file=sys.stderr)
        return 1
    keywords = f"{len(concept.keywords)} stikord" if concept.uses_keywords else "ingen stikord"
    kinds = ", ".join(
        f"{code}: {len(concept.questions_for(code))} spørgsmål" for code in concept.kinds
    )
    print(
        f"Konceptfilen {path} er i orden: {concept.organisation} ({concept.id}), "
        f"{len(concept.perspectives)} perspektiver ({kinds}), {keywords}, "
        f"{len(concept.agreement_fields)} felter i aftalerne."
    )
    return 0


async def _run(command: str, ids: list[str], settings: Settings, *, check: bool = False) -> int:
    store, documents = open_stores(settings)
    clock = clock_in(ZoneInfo(settings.time_zone))
    housekeeping = housekeeping_of(settings, store, documents, clock)
    try:
        if command == "forget":
            count = await housekeeping.forget_person(frozenset(ids))
            print(f"erased from {count} conversation(s)")
        elif command == "reindex":
            index = housekeeping.index
            report = await (index.check() if check else index.reindex())
            what = "disagree with" if check else "were repaired from"
            print(
                f"{len(report.repaired)} of {report.records} index record(s) {what} "
                f"{report.conversations} conversation(s)"
            )
            return 1 if check and report.repaired else 0
        else:
            count = await housekeeping.purge_expired(clock())
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
    concept = sub.add_parser("check-concept", help="check a concept file (Danish messages)")
    concept.add_argument("file", help="the concept file, e.g. dialogs/concepts/gentofte.json")
    reindex = sub.add_parser("reindex", help="rebuild the year's index from the conversations")
    reindex.add_argument(
        "--check", action="store_true", help="only count the records that disagree"
    )
    args = parser.parse_args(argv)
    if args.command == "check-concept":
        return check_concept(args.file)
    try:
        settings = Settings.from_env()
        ids = getattr(args, "ids", [])
        return asyncio.run(_run(args.command, ids, settings, check=getattr(args, "check", False)))
    except SettingsError as error:
        print(f"manage.py: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    raise SystemExit(main())
