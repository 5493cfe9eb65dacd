"""An agreement's fields on a card, as the concept declares them (``plan.agreement_fields``).

``agreement_facts`` is an agreement as a card shows it (the live card, all agreements, the
follow-up reminder): each field that holds something, under the concept's label, in the
concept's order, a participant by name and a date written out. ``agreement_inputs`` are the
inputs of its form (a new agreement's, or one agreement's edit form): one per field the concept
declares for the conversation's kind, of the field's kind of input, labelled as the concept says
and bounded by its length. The input ids are ``field_id(form, field.id)``; ``bot/flows/live.py``
reads every input of a form back by that prefix. No field is named here: what a field is comes
from the concept (``dialogs.agreements``).
"""

from __future__ import annotations

from cards.common import Element, facts, plain, written_date
from cards.people import short
from cards.texts import Texts
from dialogs.agreements import filled, in_form
from dialogs.concept import MEMBER, AgreementField, Concept
from dialogs.conversation import Agreement, Conversation, Participant


def field_id(form: str, name: str) -> str:
    """Input ids are unique across the card: each form (``note``, ``new``, an agreement id)
    prefixes its own."""
    return f"{form}.{name}"


def title(concept: Concept, field: str, texts: Texts) -> str:
    """The concept's label of one field, in the viewer's language."""
    spec = concept.agreement_field(field)
    return spec.title(texts.language) if spec is not None else field


def written(spec: AgreementField, value: str, texts: Texts) -> str:
    """A field's value as a card shows it: a date written out, text escaped."""
    if spec.input == "date":
        try:
            return written_date(texts, value)
        except ValueError:
            return plain(value)
    return plain(value)


def agreement_facts(
    conversation: Conversation, concept: Concept, agreement: Agreement, texts: Texts
) -> Element:
    fields = concept.agreement_fields_for(conversation.kind)
    return facts(
        [
            (spec.title(texts.language), written(spec, value, texts))
            for spec, value in filled(conversation, agreement, fields)
        ]
    )


def agreement_inputs(
    conversation: Conversation,
    concept: Concept,
    texts: Texts,
    form: str,
    agreement: Agreement | None,
    typed: dict[str, str],
) -> list[Element]:
    """The inputs of one agreement form (``new``, or an agreement's id), prefilled from what was
    typed, else from the agreement."""
    body: list[Element] = []
    for spec in concept.agreement_fields_for(conversation.kind):
        input_id = field_id(form, spec.id)
        current = typed.get(input_id) or (in_form(agreement, spec) if agreement else "")
        label = spec.prompt(texts.language)
        element: Element
        if spec.input == "participant":
            element = _people(conversation, texts, spec, input_id, label)
        elif spec.input == "date":
            element = {"type": "Input.Date", "id": input_id, "label": label}
        else:
            element = {
                "type": "Input.Text",
                "id": input_id,
                "label": label,
                "maxLength": spec.max_length,
            }
            if spec.multiline:
                element["isMultiline"] = True
        if spec.required:
            element.update(isRequired=True, errorMessage=spec.title(texts.language))
        if current:
            element["value"] = current
        body.append(element)
    return body


def _people(
    conversation: Conversation, texts: Texts, spec: AgreementField, input_id: str, label: str
) -> Element:
    """A participant picked among those taking part (a member's own goal: among the members;
    "nobody" for a field that may be left empty)."""
    people: list[Participant] = [
        p for p in conversation.participants if not (spec.id == MEMBER and p.role == "leader")
    ]
    choices = [{"title": short(p.name) or p.user_id, "value": p.user_id} for p in people]
    if spec.id == MEMBER:
        choices.insert(0, {"title": texts.get("live.group_goal"), "value": ""})
    return {
        "type": "Input.ChoiceSet",
        "id": input_id,
        "label": label,
        "style": "compact",
        "choices": choices,
    }
