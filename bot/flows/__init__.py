"""The bot's flows, one module per journey, and the two routing tables built from them."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from functools import partial
from typing import TYPE_CHECKING, Any

from botbuilder.core import TurnContext

from bot.flows import follow_up, live, plan, preparation, setup
from cards import verbs
from cards.help import help_card
from cards.texts import Texts

if TYPE_CHECKING:
    from bot.handler import CommandHandler, SamtaleguideBot, VerbHandler

Flow = Callable[["SamtaleguideBot", TurnContext, dict[str, Any], Texts], Awaitable[dict]]


def command_table(bot: SamtaleguideBot) -> dict[str, tuple[CommandHandler, str]]:
    """Normalised text -> (handler, argument)."""
    table: dict[str, tuple[CommandHandler, str]] = {}
    for word in ("hjælp", "hjaelp", "help", "?", "menu"):
        table[word] = (bot.send_help, "")
    for kind in setup.KINDS:
        for verb in ("ny", "new", "opret"):
            table[f"{verb} {kind.lower()}"] = (partial(setup.new_command, bot), kind)
    table["status"] = (partial(preparation.status_command, bot), "")
    table["start"] = (partial(live.start_command, bot), "")
    return table


def verb_table(bot: SamtaleguideBot) -> dict[str, VerbHandler]:
    async def show_help(_context: TurnContext, _data: dict[str, Any], texts: Texts) -> dict:
        return help_card(texts)

    flows: dict[str, Flow] = {
        verbs.SETUP_OPEN: setup.open_setup,
        verbs.SETUP_SAVE: setup.save_setup,
        verbs.PREP_KEYWORDS: preparation.choose_keywords,
        verbs.PREP_REMIND: preparation.remind,
        verbs.PREP_SHARE: preparation.share,
        verbs.PREP_STATUS: preparation.show_status,
        verbs.LIVE_START: live.start,
        verbs.LIVE_NEXT: live.next_question,
        verbs.LIVE_PREVIOUS: live.previous_question,
        verbs.LIVE_GOTO: live.goto,
        verbs.LIVE_REFRESH: live.refresh,
        verbs.KEYWORD_MARK: live.mark_keyword,
        verbs.NOTE_ADD: live.add_note,
        verbs.AGREEMENT_ADD: live.add_agreement,
        verbs.AGREEMENT_OPEN: live.open_agreement,
        verbs.AGREEMENT_EDIT: live.edit_agreement,
        verbs.AGREEMENT_REMOVE: live.remove_agreement,
        verbs.LIVE_FINISH: live.finish,
        verbs.PLAN_GENERATE: plan.generate,
        verbs.PLAN_LINK: plan.link,
        verbs.FOLLOWUP_DONE: follow_up.mark_done,
        verbs.FOLLOWUP_MOVE: follow_up.move,
    }
    table: dict[str, VerbHandler] = {verb: partial(flow, bot) for verb, flow in flows.items()}
    table[verbs.HELP] = show_help
    return table
