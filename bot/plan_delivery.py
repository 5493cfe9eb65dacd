"""Writing the development plan, storing it, sharing it with the participants, and keeping its
approval visible.

On finishing (and on ``plan.generate``) a new version of the plan is written (Word, and PDF where
LibreOffice is installed), stored as ``conversations/{id}/plan-v{n}.{ext}`` in the private
document store (never overwriting an earlier version), and the domain learns the version
(``PlanWritten``), so that it is the one to approve. Each participant gets short-lived links in
their own 1:1 chat, with "Godkend planen" and "Jeg har en kommentar"; the group chat only hears
that it is ready (that card is recorded and kept current as people approve). When that card
cannot be posted, the leader is told in their own 1:1 chat, and ``status`` in the chat posts it
again.

Renderings of a version (see ``docs/decisions.md``): the plan's first page shows who has approved
that version, so each approval is followed by a new rendering of the same version, stored next
to it and never overwriting it: ``plan{n}-all-v{k}`` (the group's plan, the ``k``-th rendering
of version ``n``). In a GRUS, each member with own development goals has their own copy, which
leads with their goals: ``plan{n}-m{i}-v{k}`` (``i``: their place among the participants; no
name or id in the path), rendered when the version is written, again when they approve, and
once more when everyone has. A
member's links lead to their own copy; everyone else's, the leader's included, to the group's
plan (which has every member's goals too). Renderings of one conversation are made one at a
time, from its newest stored state, and skipped when nothing was approved since the last.

A participant's comment is delivered to the leader's 1:1 chat.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import datetime, timedelta

from bot.conversations import Conversations
from bot.deliveries import with_plan_card
from bot.messaging import Messaging
from bot.replies import card_message, text_message
from bot.teams import DeliveryFailed
from cards.plan import comment_card, plan_links_card, plan_ready_card
from cards.texts import Texts
from dialogs import events as ev
from dialogs.concept import Concept
from dialogs.conversation import Conversation
from dialogs.effects import PlanApproved, SendComment
from plan.document import PLAN_CONTENT_TYPE, write_plan
from plan.pdf import PdfUnavailable, to_pdf
from storage.documents import DocumentStore, StoredDocument

log = logging.getLogger("samtaleguide.plan")
PDF_TYPE = "application/pdf"
SYSTEM = "samtaleguide"
PLAN = "plan"


def group_copy(version: int) -> str:
    """The document name of the group's renderings of ``version``."""
    return f"{PLAN}{version}-all"


def member_copy(version: int, place: int) -> str:
    """The document name of one member's own copy of ``version`` (``place``: among the
    participants)."""
    return f"{PLAN}{version}-m{place}"


class PlanDelivery:
    def __init__(
        self,
        *,
        concept: Concept,
        conversations: Conversations,
        messaging: Messaging,
        documents: DocumentStore,
        link_ttl: timedelta,
        clock: Callable[[], datetime],
    ) -> None:
        self.concept = concept
        self.conversations = conversations
        self.messaging = messaging
        self.documents = documents
        self.link_ttl = link_ttl
        self.clock = clock
        # Writing a plan (and its PDF's files) runs on its own threads, never the pool DNS uses.
        self._render = ThreadPoolExecutor(2, thread_name_prefix="plan")
        self._locks: dict[str, asyncio.Lock] = {}
        # (conversation, version, whose copy: "" the group's) -> approvals it shows
        self._rendered: dict[tuple[str, int, str], int] = {}

    def close(self) -> None:
        self._render.shutdown(wait=False, cancel_futures=True)

    @property
    def minutes(self) -> int:
        return int(self.link_ttl.total_seconds() // 60)

    # --- a new version ---------------------------------------------------------------------

    async def deliver(self, conversation: Conversation, texts: Texts) -> int | None:
        """Make, store and share a new version; returns its number (None if it failed)."""
        try:
            stored, note = await self._store_new_version(conversation)
        except Exception as error:
            log.error("plan could not be made: %s", type(error).__name__, exc_info=error)
            card = plan_ready_card(conversation, texts, version=None)
            await self.messaging.post_home(conversation.id, card)
            return None
        version = stored[0].version
        conversation = await self._learn(conversation, version)
        own = await self._member_copies(conversation, version)
        for participant in conversation.participants:
            documents = own.get(participant.user_id) or stored
            await self.share(conversation, participant.user_id, documents, texts, note)
        card = plan_ready_card(conversation, texts, version=version, note=note)
        posted = await self.messaging.post_home(conversation.id, card)
        if posted is None:
            await self._tell_leaders(conversation, texts)
        else:
            await self.messaging.deliveries.change(conversation.id, with_plan_card(posted))
        return version

    async def _learn(self, conversation: Conversation, version: int) -> Conversation:
        """The domain learns the version just stored (it is now the one to approve)."""
        event = ev.PlanWritten(SYSTEM, version=version, request_id=f"plan-{version}")
        try:
            changed = await self.conversations.change_as(conversation.id, event, self.clock())
        except Exception as error:  # the store is down: the cards still go out; logged
            log.error("plan version not recorded: %s", type(error).__name__)
            return replace(conversation, plan_version=max(version, conversation.plan_version))
        return changed.conversation

    async def _tell_leaders(self, conversation: Conversation, texts: Texts) -> None:
        message = text_message(texts.get("plan.ready_lost", kind=conversation.kind))
        for person in conversation.participants:
            if person.leads:
                await self.messaging.send_personal_message(conversation.id, person.user_id, message)

    async def _files(
        self, conversation: Conversation, version: int, copy_for: str = ""
    ) -> tuple[dict[str, tuple[bytes, str]], str | None]:
        render = functools.partial(
            write_plan,
            conversation,
            self.concept,
            generated_at=self.clock(),
            version=version,
            copy_for=copy_for,
        )
        docx = await asyncio.get_running_loop().run_in_executor(self._render, render)
        files = {"docx": (docx, PLAN_CONTENT_TYPE)}
        note = None
        try:
            files["pdf"] = (await to_pdf(docx, executor=self._render), PDF_TYPE)
        except PdfUnavailable as unavailable:
            note = str(unavailable)
        return files, note

    async def _store_new_version(
        self, conversation: Conversation
    ) -> tuple[list[StoredDocument], str | None]:
        earlier = await self.documents.versions(conversation.id, PLAN)
        version = max((d.version for d in earlier), default=0) + 1
        files, note = await self._files(conversation, version)
        return await self.documents.add_version(conversation.id, PLAN, files), note

    async def _member_copies(
        self, conversation: Conversation, version: int
    ) -> dict[str, list[StoredDocument]]:
        """Each GRUS member with own goals: their own copy of ``version`` (a member whose copy
        could not be made gets the group's)."""
        copies: dict[str, list[StoredDocument]] = {}
        for member in conversation.members_with_goals:
            place = conversation.participants.index(member)
            try:
                files, _ = await self._files(conversation, version, member.user_id)
                copies[member.user_id] = await self.documents.add_version(
                    conversation.id, member_copy(version, place), files
                )
            except Exception as error:
                log.error("a member's copy could not be made: %s", type(error).__name__)
        return copies

    # --- whose copy, and links to it ---------------------------------------------------------

    async def latest(self, conversation: Conversation) -> list[StoredDocument]:
        """The newest version as first written (the group's)."""
        versions = await self.documents.versions(conversation.id, PLAN)
        if not versions:
            return []
        newest = versions[-1].version
        return [d for d in versions if d.version == newest]

    async def copy_for(self, conversation: Conversation, user_id: str) -> list[StoredDocument]:
        """The newest rendering of the newest version for ``user_id``: their own copy when they
        are a GRUS member with own goals, else the group's plan."""
        version = conversation.plan_version
        first: list[StoredDocument] | None = None
        if not version:  # no version recorded on the conversation: the newest stored
            first = await self.latest(conversation)
            version = first[0].version if first else 0
        if not version:
            return []
        names = [group_copy(version)]
        person = conversation.participant(user_id)
        if person is not None and conversation.own_goals(user_id):
            names.insert(0, member_copy(version, conversation.participants.index(person)))
        for name in names:
            renderings = await self.documents.versions(conversation.id, name)
            if renderings:
                newest = renderings[-1].version
                return [d for d in renderings if d.version == newest]
        if first is None:
            first = await self.latest(conversation)
        return [d for d in first if d.version == version]

    async def links(
        self, stored: list[StoredDocument], version: int | None = None
    ) -> dict[str, str]:
        number = version if version is not None else (stored[0].version if stored else 0)
        return {
            d.extension: await self.documents.link(
                d.path, ttl=self.link_ttl, filename=f"udviklingsplan-v{number}.{d.extension}"
            )
            for d in stored
        }

    async def share(
        self,
        conversation: Conversation,
        user_id: str,
        stored: list[StoredDocument],
        texts: Texts,
        note: str | None = None,
        message: str | None = None,
    ) -> None:
        """Links in the participant's own 1:1 chat, never in the group chat."""
        version = conversation.plan_version or stored[0].version
        card = plan_links_card(
            conversation,
            texts,
            version=version,
            links=await self.links(stored, version),
            minutes=self.minutes,
            note=note,
            viewer=user_id,
            message=message,
        )
        await self.messaging.send_personal(conversation.id, user_id, card)

    # --- approvals and comments ---------------------------------------------------------------

    async def approved(
        self, conversation: Conversation, effect: PlanApproved, texts: Texts
    ) -> None:
        """Someone approved: render the version again (their approval on its first page), keep
        the "plan is ready" cards current, and when everyone has, give each their approved
        copy."""
        latest = await self._render_approvals(conversation.id, effect)
        if latest is None:
            return
        await self._edit_plan_cards(latest, texts)
        if effect.everyone and latest.plan_approved:
            message = texts.get("plan.everyone_approved")
            for person in latest.participants:
                if person.left:
                    continue
                stored = await self.copy_for(latest, person.user_id)
                if stored:
                    await self.share(latest, person.user_id, stored, texts, message=message)

    async def _render_approvals(
        self, conversation_id: str, effect: PlanApproved
    ) -> Conversation | None:
        """New renderings of the version, from the newest stored state: the group's plan after
        every approval, a member's own copy when they approve and, once everyone has, every
        member's copy (so an approval costs at most two renderings until the last one). One at a
        time per conversation; none that would show no approval more than the last did."""
        version = effect.version
        lock = self._locks.setdefault(conversation_id, asyncio.Lock())
        async with lock:
            try:
                latest = await self.conversations.get(conversation_id)
            except Exception as error:
                log.warning("plan not rendered again: %s", type(error).__name__)
                return None
            if latest.plan_version != version:
                return latest  # a newer version was written meanwhile
            count = len(latest.approvals_of(version))
            copies = [""]  # the group's plan
            if latest.plan_approved:
                copies += [m.user_id for m in latest.members_with_goals]
            elif latest.own_goals(effect.user_id):
                copies.append(effect.user_id)
            for copy_for in copies:
                key = (conversation_id, version, copy_for)
                if self._rendered.get(key) == count:
                    continue
                try:
                    files, _ = await self._files(latest, version, copy_for)
                    name = group_copy(version)
                    if copy_for:
                        place = [p.user_id for p in latest.participants].index(copy_for)
                        name = member_copy(version, place)
                    await self.documents.add_version(conversation_id, name, files)
                except Exception as error:
                    log.error("plan not rendered again: %s", type(error).__name__, exc_info=error)
                    continue
                self._rendered[key] = count
        return latest

    async def _edit_plan_cards(self, conversation: Conversation, texts: Texts) -> None:
        delivery = await self.messaging.deliveries.get(conversation.id)
        if not delivery.plan_cards:
            return
        card = card_message(plan_ready_card(conversation, texts, version=conversation.plan_version))
        for message in delivery.plan_cards:
            try:
                await self.messaging.teams.update(message.chat, message.activity_id, card)
            except DeliveryFailed as error:
                log.warning("plan card not edited (%s)", error.status)

    async def comment(self, conversation: Conversation, effect: SendComment, texts: Texts) -> None:
        """A participant's comment, in the leader's 1:1 chat."""
        card = comment_card(
            conversation, texts, user_id=effect.user_id, version=effect.version, comment=effect.text
        )
        await self.messaging.send_personal(conversation.id, conversation.leader.user_id, card)
