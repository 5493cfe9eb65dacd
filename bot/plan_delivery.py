"""Writing the development plan, storing it, and sharing it with the participants.

On finishing (and on ``plan.generate``) a new version of the plan is written (Word, and PDF where
LibreOffice is installed), stored as ``conversations/{id}/plan-v{n}.{ext}`` in the private
document store (never overwriting an earlier version), and each participant gets short-lived
links to it in their own 1:1 chat; the group chat only hears that it is ready. When that card
cannot be posted, the leader is told in their own 1:1 chat, and ``status`` in the chat posts it
again.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta

from bot.messaging import Messaging
from bot.replies import text_message
from cards.plan import plan_links_card, plan_ready_card
from cards.texts import Texts
from dialogs.concept import Concept
from dialogs.conversation import Conversation
from plan.document import PLAN_CONTENT_TYPE, write_plan
from plan.pdf import PdfUnavailable, to_pdf
from storage.documents import DocumentStore, StoredDocument

log = logging.getLogger("samtaleguide.plan")
PDF_TYPE = "application/pdf"


class PlanDelivery:
    def __init__(
        self,
        *,
        concept: Concept,
        messaging: Messaging,
        documents: DocumentStore,
        link_ttl: timedelta,
        clock: Callable[[], datetime],
    ) -> None:
        self.concept = concept
        self.messaging = messaging
        self.documents = documents
        self.link_ttl = link_ttl
        self.clock = clock
        # Writing a plan (and its PDF's files) runs on its own threads, never the pool DNS uses.
        self._render = ThreadPoolExecutor(2, thread_name_prefix="plan")

    def close(self) -> None:
        self._render.shutdown(wait=False, cancel_futures=True)

    @property
    def minutes(self) -> int:
        return int(self.link_ttl.total_seconds() // 60)

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
        for participant in conversation.participants:
            await self.share(conversation, participant.user_id, stored, texts, note)
        card = plan_ready_card(conversation, texts, version=version, note=note)
        if await self.messaging.post_home(conversation.id, card) is None:
            await self._tell_leaders(conversation, texts)
        return version

    async def _tell_leaders(self, conversation: Conversation, texts: Texts) -> None:
        message = text_message(texts.get("plan.ready_lost", kind=conversation.kind))
        for person in conversation.participants:
            if person.leads:
                await self.messaging.send_personal_message(conversation.id, person.user_id, message)

    async def _store_new_version(
        self, conversation: Conversation
    ) -> tuple[list[StoredDocument], str | None]:
        earlier = await self.documents.versions(conversation.id, "plan")
        version = max((d.version for d in earlier), default=0) + 1
        render = functools.partial(
            write_plan, conversation, self.concept, generated_at=self.clock(), version=version
        )
        docx = await asyncio.get_running_loop().run_in_executor(self._render, render)
        files = {"docx": (docx, PLAN_CONTENT_TYPE)}
        note = None
        try:
            files["pdf"] = (await to_pdf(docx, executor=self._render), PDF_TYPE)
        except PdfUnavailable as unavailable:
            note = str(unavailable)
        return await self.documents.add_version(conversation.id, "plan", files), note

    async def links(self, stored: list[StoredDocument]) -> dict[str, str]:
        return {
            d.extension: await self.documents.link(
                d.path, ttl=self.link_ttl, filename=f"udviklingsplan-v{d.version}.{d.extension}"
            )
            for d in stored
        }

    async def latest(self, conversation: Conversation) -> list[StoredDocument]:
        versions = await self.documents.versions(conversation.id, "plan")
        if not versions:
            return []
        newest = versions[-1].version
        return [d for d in versions if d.version == newest]

    async def share(
        self,
        conversation: Conversation,
        user_id: str,
        stored: list[StoredDocument],
        texts: Texts,
        note: str | None = None,
    ) -> None:
        """Links in the participant's own 1:1 chat, never in the group chat."""
        card = plan_links_card(
            conversation,
            texts,
            version=stored[0].version,
            links=await self.links(stored),
            minutes=self.minutes,
            note=note,
        )
        await self.messaging.send_personal(conversation.id, user_id, card)
