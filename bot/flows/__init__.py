"""The bot's flows, one module per journey, and the two routing tables built from them:
card verbs (``routes``) and text commands (``commands``)."""

from __future__ import annotations

from functools import partial

from bot.flows import follow_up, live, plan, preparation, previous, setup, year
from bot.flows.context import Command, Context, Press, Route
from cards import verbs
from cards.common import Card
from cards.help import help_card


def help_for(ctx: Context, press: Press) -> Card:
    """The help card, for the chat the press came from (a 1:1 chat's has the year's round)."""
    return help_card(ctx.concept, press.texts, press.bot_name, personal=not press.chat.is_group)


async def _help(ctx: Context, press: Press) -> Card:
    return help_for(ctx, press)


async def _help_command(ctx: Context, press: Press, _: str) -> Card:
    return help_for(ctx, press)


def routes() -> dict[str, Route]:
    """Card verb -> its route (the flow, and how a refusal of it is shown)."""
    return {
        verbs.HELP: Route(_help),
        verbs.SETUP_OPEN: Route(setup.open_setup),
        verbs.SETUP_SAVE: Route(setup.save_setup, setup.refused),
        verbs.SETUP_PRIVATE: Route(setup.set_up_privately),
        verbs.PREP_KEYWORDS: Route(preparation.choose_keywords, preparation.choose_refused),
        verbs.PREP_EDIT: Route(preparation.edit),
        verbs.PREP_REMIND: Route(preparation.remind, preparation.status_refused),
        verbs.PREP_SHARE: Route(preparation.share, preparation.status_refused),
        verbs.PREP_STATUS: Route(preparation.show_status),
        verbs.PREP_SHOW: Route(preparation.show),
        verbs.LIVE_START: Route(live.start, live.start_refused),
        verbs.LIVE_NEXT: live.next_question.route(),
        verbs.LIVE_PREVIOUS: live.previous_question.route(),
        verbs.LIVE_GOTO: live.goto.route(),
        verbs.LIVE_REFRESH: Route(live.refresh),
        verbs.KEYWORD_MARK: live.mark_keyword.route(),
        verbs.NOTE_ADD: live.add_note.route(),
        verbs.AGREEMENT_ADD: live.add_agreement.route(),
        verbs.AGREEMENT_OPEN: Route(live.open_agreement),
        verbs.AGREEMENT_EDIT: live.edit_agreement.route(),
        verbs.AGREEMENT_REMOVE: live.remove_agreement.route(),
        verbs.AGREEMENTS_SHOW: Route(live.show_agreements),
        verbs.PREVIOUS_SHOW: Route(previous.show),
        verbs.LIVE_FINISH: live.finish.route(),
        verbs.PLAN_GENERATE: Route(plan.generate),
        verbs.PLAN_LINK: Route(plan.link),
        verbs.PLAN_APPROVE: Route(plan.approve, plan.refused),
        verbs.PLAN_COMMENT: Route(plan.comment, plan.refused),
        verbs.FOLLOWUP_DONE: Route(follow_up.mark_done, follow_up.refused),
        verbs.FOLLOWUP_MOVE: Route(follow_up.move, follow_up.refused),
        verbs.MY_CONVERSATIONS: Route(year.my_conversations),
        verbs.MY_AGREEMENTS: Route(year.my_agreements_press),
        verbs.FIGURES_SHOW: Route(year.show_figures),
    }


def commands() -> dict[str, Command]:
    """Normalised text -> its command."""
    table: dict[str, Command] = {}
    for word in ("hjælp", "hjaelp", "help", "?", "menu"):
        table[word] = _help_command
    for kind in setup.KINDS:
        for verb in ("ny", "new", "opret"):
            table[f"{verb} {kind.lower()}"] = partial(_new, kind)
    table["status"] = preparation.status_command
    table["start"] = live.start_command
    for words in ("mine samtaler", "my conversations"):
        table[words] = year.my_conversations_command
    for words in ("mine aftaler", "my agreements"):
        table[words] = year.my_agreements_command
    for words in ("nøgletal", "noegletal", "key figures"):
        table[words] = year.figures_command
    return table


async def _new(kind: str, ctx: Context, press: Press, _: str) -> Card:
    return await setup.new_command(ctx, press, kind)
