"""An agreement field by field, as the concept declares it: what each field holds.

Cards and the plan ask here rather than naming fields themselves, so both follow whatever field
list the concept has (``dialogs.concept.AgreementField``). ``stored(agreement, field)`` is the
value as kept (a date as ISO text, a participant by id); ``shown(conversation, agreement, field)``
is the text a person reads (a participant by name; a date still ISO, for the caller to write in
its language); ``in_form(agreement, field)`` is what an edit form starts from.
"""

from __future__ import annotations

from dialogs.concept import FOLLOW_UP, MEMBER, RESPONSIBLE, SHARED_WITH, WHAT, AgreementField
from dialogs.conversation import Agreement, Conversation

ATTRIBUTES = {WHAT: "what", FOLLOW_UP: "follow_up", MEMBER: "member_id", SHARED_WITH: "shared_with"}
"""The fields kept as the stored ``Agreement``'s own attributes, by field id. The one responsible
has two (``responsible``, the name, and ``responsible_id``); every other field is kept in
``Agreement.details`` by its id."""


def stored(agreement: Agreement, field_id: str) -> str:
    """The value of ``field_id`` as stored on the agreement ("" when it has none)."""
    if field_id == RESPONSIBLE:
        return agreement.responsible_id or agreement.responsible
    attribute = ATTRIBUTES.get(field_id)
    if attribute is not None:
        return str(getattr(agreement, attribute))
    return agreement.details.get(field_id, "")


def shown(conversation: Conversation, agreement: Agreement, field: AgreementField) -> str:
    """What a person reads in that field: a participant by name (as the conversation knows
    them), anything else as stored."""
    if field.id == RESPONSIBLE:
        return agreement.responsible
    value = stored(agreement, field.id)
    if field.input == "participant" and value:
        person = conversation.participant(value)
        return person.name if person is not None else value
    return value


def in_form(agreement: Agreement, field: AgreementField) -> str:
    """What the agreement's edit form shows in that field (a participant by id; the one
    responsible only when they are a participant, as the form picks among them)."""
    if field.id == RESPONSIBLE:
        return agreement.responsible_id
    return stored(agreement, field.id)


def filled(
    conversation: Conversation, agreement: Agreement, fields: tuple[AgreementField, ...]
) -> list[tuple[AgreementField, str]]:
    """The fields that hold something, in the concept's order, with what they show."""
    return [(f, value) for f in fields if (value := shown(conversation, agreement, f))]
