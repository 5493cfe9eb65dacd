"""The year's round: "Mine samtaler", "Mine aftaler" and HR's figures.

All three are read from the year's index (``bot.year_index``), in the person's own 1:1 chat only
(in a group chat they say where to look), so they cost a record or two, never a scan:

- ``my.conversations`` / ``mine samtaler``: the conversations the presser leads or
  co-facilitates last year, this year and later, and "Mangler i år" (``cards.my_conversations``). "This
  year" is the calendar year of the organisation's clock (``TIME_ZONE``); a conversation counts
  in the year of its own date (``dialogs.summary.day_of``).
- ``my.agreements`` / ``mine aftaler``: the agreements the presser is responsible for; the index
  says which and in what order, and only the conversations on the part shown are loaded, for
  the agreements' texts, each checked like every read (the presser takes part and has not
  left). The reminder's buttons answer here with this card again (``agreements_view``), showing
  the change just saved even before the index has caught up.
- ``figures.show`` / ``nøgletal`` (``noegletal``): HR's figures for ``HR_VIEWERS`` only (anyone
  else gets a polite no), as a card with a short-lived link to the CSV file (``bot.figures``).
"""

from __future__ import annotations

from bot.conversations import resolve_actor
from bot.flows.context import Context, Press
from bot.payload import BadPayload, int_field
from cards import verbs
from cards.common import Card
from cards.errors import message_card
from cards.figures import figures_card
from cards.my_agreements import PART, AgreementLine, my_agreements_card
from cards.my_conversations import my_conversations_card
from dialogs.conversation import Conversation
from dialogs.round import current, led, missing_this_year, my_agreements
from dialogs.summary import HELD, PersonEntry, identity, person_entries, summarize, year_of

# --- Mine samtaler ----------------------------------------------------------------------------


async def conversations_card(ctx: Context, press: Press, start: int = 0) -> Card:
    year = ctx.clock().year
    entries = current(await ctx.index.entries_for(press.person))
    held_last_year = any(
        e.role == "leader" and e.kind == "MUS" and e.state in HELD and year_of(e.day) == year - 1
        for e in entries
    )
    missing = missing_this_year(entries, year) if held_last_year else None
    return my_conversations_card(led(entries, year), missing, press.texts, year=year, start=start)


async def my_conversations(ctx: Context, press: Press) -> Card:
    """``my.conversations`` (the help card's "Mine samtaler", and its parts)."""
    if press.chat.is_group:
        return message_card(press.texts.get("mine.personal_only"))
    return await conversations_card(ctx, press, press.start)


async def my_conversations_command(ctx: Context, press: Press, _: str) -> Card | str:
    """Text ``mine samtaler``."""
    if press.chat.is_group:
        return press.texts.get("mine.personal_only")
    return await conversations_card(ctx, press)


# --- Mine aftaler -----------------------------------------------------------------------------


async def agreements_view(
    ctx: Context,
    press: Press,
    *,
    start: int = 0,
    fresh: Conversation | None = None,
    message: str | None = None,
    success: bool = True,
) -> Card:
    """ "Mine aftaler" for the presser; ``fresh``: a conversation just saved, shown as it is
    now whatever the index says yet."""
    entries = current(await ctx.index.entries_for(press.person))
    if fresh is not None:
        entries = [e for e in entries if e.conversation_id != fresh.id]
        entries += _own_entry(fresh, press)
    listed = my_agreements(entries)
    start = min(start, max(len(listed) - 1, 0))
    part = listed[start : start + PART]
    ids = list(dict.fromkeys(a.conversation_id for a in part))
    conversations = await ctx.conversations.load_many(ids)
    if fresh is not None:
        conversations[fresh.id] = fresh
    lines = []
    for item in part:
        conversation = conversations.get(item.conversation_id)
        if conversation is None:
            continue
        me = conversation.participant(resolve_actor(conversation, press.person))
        if me is None or me.left:
            continue  # every read is authorised: the index only says where to look
        agreement = next((a for a in conversation.agreements if a.id == item.agreement_id), None)
        if agreement is None or agreement.responsible_id != me.user_id:
            continue
        follow_up = next(
            (f for f in conversation.follow_ups if f.agreement_id == agreement.id), None
        )
        lines.append(
            AgreementLine(
                conversation_id=conversation.id,
                agreement_id=agreement.id,
                kind=conversation.kind,
                day=item.day,
                what=agreement.what,
                due=follow_up.due if follow_up else "",
                done=bool(follow_up and follow_up.done_at),
            )
        )
    return my_agreements_card(
        lines,
        press.texts,
        today=ctx.clock().date(),
        start=start,
        count=len(listed),
        end=start + len(part),
        message=message,
        success=success,
    )


def _own_entry(conversation: Conversation, press: Press) -> list[PersonEntry]:
    me = conversation.participant(resolve_actor(conversation, press.person))
    if me is None:
        return []
    mine = person_entries(summarize(conversation), conversation.version).get(identity(me))
    return [mine] if mine is not None else []


async def my_agreements_press(ctx: Context, press: Press) -> Card:
    """``my.agreements`` (the help card's "Mine aftaler", and its parts)."""
    if press.chat.is_group:
        return message_card(press.texts.get("mine.personal_only"))
    return await agreements_view(ctx, press, start=press.start)


async def my_agreements_command(ctx: Context, press: Press, _: str) -> Card | str:
    """Text ``mine aftaler``."""
    if press.chat.is_group:
        return press.texts.get("mine.personal_only")
    return await agreements_view(ctx, press)


# --- HR's figures -----------------------------------------------------------------------------


async def _figures(ctx: Context, press: Press, year: int | None) -> Card:
    figures = ctx.figures
    years = await figures.years()
    this_year = ctx.clock().year
    shown = year if year is not None else this_year
    if not 2000 <= shown <= 9999:
        raise BadPayload("not a year")
    rows = await figures.rows([shown])
    return figures_card(
        rows,
        press.texts,
        year=shown,
        years=sorted({*years, this_year}, reverse=True),
        threshold=figures.threshold,
        csv_url=await figures.link(),
        minutes=figures.minutes,
    )


async def show_figures(ctx: Context, press: Press) -> Card:
    """``figures.show`` (another year's figures): HR only, in their 1:1 chat."""
    if not ctx.figures.allowed(press.person):
        return message_card(press.texts.get("figures.refused"))
    if press.chat.is_group:
        return message_card(press.texts.get("figures.personal_only"))
    return await _figures(ctx, press, int_field(press.data, verbs.DATA_YEAR))


async def figures_command(ctx: Context, press: Press, _: str) -> Card | str:
    """Text ``nøgletal`` (``noegletal``)."""
    if not ctx.figures.allowed(press.person):
        return press.texts.get("figures.refused")
    if press.chat.is_group:
        return press.texts.get("figures.personal_only")
    return await _figures(ctx, press, None)
