"""Data protection over the stores: retention, and erasing one person on request.

- ``purge_expired(now)`` deletes conversations (state, the bot's delivery record and every stored
  plan) that were closed more than ``retention`` ago, and conversations never finished that were
  created more than ``unfinished_retention`` ago, and takes them out of the year's index
  (``bot.year_index``: every person's and workplace's record they were in; a record left empty
  is deleted).
- ``forget_person(ids)`` erases a person (Teams user id and/or Entra object id) from every
  conversation they are in (``dialogs.privacy.forget``, saved with If-Match), removes them from the
  bot's delivery records, and deletes the stored plans of those conversations, which name them
  (participants keep their own downloaded copies, and the leader has filed the PDF in the
  personnel folder), and deletes their count of recent setups (``bot.limits``). The index
  entries of those conversations are written again from the erased state (their name and ids
  leave the other people's records), and the person's own index records are deleted.

``purge_expired`` also deletes the counts of recent setups that have nothing left in their
window, and the index's tombstones once they are a day old (``YearIndex.prune``).
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import replace
from datetime import datetime, timedelta

from bot.conversations import PREFIX
from bot.deliveries import Deliveries, without_people
from bot.limits import SetupBudget
from bot.year_index import YearIndex
from dialogs.conversation import Conversation
from dialogs.privacy import forget, identities, names_of
from storage.documents import DocumentStore
from storage.protocols import ConversationStore
from storage.update import update

log = logging.getLogger("samtaleguide.housekeeping")


class Housekeeping:
    def __init__(
        self,
        store: ConversationStore,
        documents: DocumentStore,
        deliveries: Deliveries,
        limits: SetupBudget,
        index: YearIndex,
        *,
        retention: timedelta,
        unfinished_retention: timedelta,
    ) -> None:
        self.store = store
        self.documents = documents
        self.deliveries = deliveries
        self.limits = limits
        self.index = index
        self.retention = retention
        self.unfinished_retention = unfinished_retention

    def _expired(self, conversation: Conversation, now: datetime) -> bool:
        if conversation.phase == "closed":
            finished = datetime.fromisoformat(
                conversation.live.finished_at or conversation.created_at
            )
            return now - finished > self.retention
        return now - datetime.fromisoformat(conversation.created_at) > self.unfinished_retention

    async def purge_expired(self, now: datetime) -> int:
        deleted = 0
        for key in await self.store.keys(PREFIX):
            conversation, _ = await self.store.load(key)
            if conversation is None or not self._expired(conversation, now):
                continue
            await self.documents.delete_conversation(conversation.id)
            await self.deliveries.delete(conversation.id)
            await self.store.delete(key)
            await self.index.write(conversation.id)  # gone: out of every record it was in
            deleted += 1
        if deleted:
            log.info("expired conversations deleted", extra={"count": deleted})
        await self.limits.purge(now)
        await self.index.prune(now)
        return deleted

    async def forget_person(self, person_ids: frozenset[str]) -> int:
        """Erase the person from every conversation that mentions them (see the module); the
        pseudonyms are keyed with a secret made for this erasure and then forgotten. Returns how
        many conversations changed."""
        keys = await self.store.keys(PREFIX)
        names: set[str] = set()
        known = set(person_ids)  # every id the index may know them by
        for key in keys:  # first every name they went by, to find them in texts everywhere
            stored, _ = await self.store.load(key)
            if stored is not None:
                names |= names_of(stored, person_ids)
                theirs = identities(stored, person_ids)
                known |= {p.aad_object_id for p in stored.participants if p.user_id in theirs}
        secret = secrets.token_bytes(32)
        every_name = frozenset(names)

        def transition(current: Conversation | None) -> tuple[Conversation, frozenset[str] | None]:
            if current is None:
                raise _Gone
            erased = forget(current, person_ids, key=secret, names=every_name)
            if erased is None:
                return current, None
            return replace(erased, index_pending=True), identities(current, person_ids)

        changed = 0
        for key in keys:
            try:
                conversation, ids = await update(self.store, key, transition)
            except _Gone:
                continue
            if ids is not None:
                await self.documents.delete_conversation(conversation.id)
                await self.deliveries.change(conversation.id, without_people(ids))
                written = await self.index.write(conversation.id)
                if written is not None:
                    await self.index.caught_up(written)
                changed += 1
        await self.index.forget(known - {""})
        await self.limits.forget(person_ids)
        log.info("person erased on request", extra={"conversations": changed})
        return changed


class _Gone(Exception):
    """The conversation was deleted meanwhile."""
