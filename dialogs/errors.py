"""Typed refusals raised by domain transitions.

Every refusal carries a stable ``code`` (used by ``cards/`` to pick the user-facing text in the
user's language) and ``params`` for that text. A refused event never changes state.
"""

from __future__ import annotations

from typing import Any, ClassVar


class DomainError(Exception):
    """Base of every refusal; ``code`` selects the message, ``params`` fill it in."""

    code: ClassVar[str] = "refused"

    def __init__(self, detail: str = "", **params: Any) -> None:
        super().__init__(detail or self.code)
        self.detail = detail
        self.params = params


class NotParticipant(DomainError):
    """The actor does not take part in this conversation."""

    code = "not_participant"


class NotPermitted(DomainError):
    """The actor takes part but their role may not do this (e.g. only the leader moves)."""

    code = "not_permitted"


class WrongPhase(DomainError):
    """The conversation is not in a phase where this is possible."""

    code = "wrong_phase"


class ConversationClosed(WrongPhase):
    """Nothing changes once the conversation is closed."""

    code = "closed"


class InvalidKeywords(DomainError):
    """Not exactly three distinct keywords of the concept."""

    code = "invalid_keywords"


class InvalidField(DomainError):
    """A field is missing, too long, malformed or out of range; ``params['field']`` names it."""

    code = "invalid_field"


class UnknownItem(DomainError):
    """A referenced item (agreement, question, participant, keyword owner) does not exist."""

    code = "unknown_item"


class StaleCard(DomainError):
    """The card the actor pressed shows an outdated position; they get the fresh card."""

    code = "stale_card"


class NotPrivate(DomainError):
    """A MUS or LUS where others can read along; ``params['names']`` says who, ``kind`` which."""

    code = "not_private"


class StaleCopy(DomainError):
    """The press came from an older posting of the live card (one the bot has replaced, or a
    stray copy Teams may have made); nothing is changed."""

    code = "stale_copy"


class TooSoon(DomainError):
    """Done again too soon after the last time (``params['minutes']`` or ``seconds`` to
    wait): a limit on what one press can make the bot send."""

    code = "too_soon"


class Unprepared(DomainError):
    """Starting while ``params['count']`` people have not prepared (chosen keywords, or with a
    concept without keywords, said they are prepared: ``params['keywords']`` says which): ask
    first."""

    code = "unprepared"


class AlreadyDone(DomainError):
    """Nothing to do: the follow-up was already reminded today or completed, or the leader was
    already reminded about this plan version's approvals."""

    code = "already_done"


class NoGoals(DomainError):
    """Finishing a MUS or LUS (``params['kind']``) without any agreement: it ends in a plan, so
    the leader confirms "Ingen udviklingsmål i år" first."""

    code = "no_goals"


class StalePlan(DomainError):
    """The press was about an older version of the plan; ``params['version']`` is the newest."""

    code = "stale_plan"
