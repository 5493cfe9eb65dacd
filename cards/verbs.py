"""Action.Execute verbs and the data keys on buttons: the contract between the cards and
``bot/``'s verb table.

Every verb is documented in ``docs/cards.md`` with the data it carries.
"""

from typing import Final

HELP: Final = "help.show"
SETUP_OPEN: Final = "setup.open"
SETUP_SAVE: Final = "setup.save"
SETUP_PRIVATE: Final = "setup.private"
PREP_KEYWORDS: Final = "prep.keywords"
PREP_EDIT: Final = "prep.edit"
PREP_REMIND: Final = "prep.remind"
PREP_SHARE: Final = "prep.share"
PREP_STATUS: Final = "prep.status"
PREP_SHOW: Final = "prep.show"
LIVE_START: Final = "live.start"
LIVE_NEXT: Final = "live.next"
LIVE_PREVIOUS: Final = "live.previous"
LIVE_GOTO: Final = "live.goto"
LIVE_REFRESH: Final = "live.refresh"
KEYWORD_MARK: Final = "keyword.mark"
NOTE_ADD: Final = "note.add"
AGREEMENT_ADD: Final = "agreement.add"
AGREEMENT_OPEN: Final = "agreement.open"
AGREEMENT_EDIT: Final = "agreement.edit"
AGREEMENT_REMOVE: Final = "agreement.remove"
AGREEMENTS_SHOW: Final = "agreements.show"
PREVIOUS_SHOW: Final = "previous.show"
LIVE_FINISH: Final = "live.finish"
PLAN_GENERATE: Final = "plan.generate"
PLAN_LINK: Final = "plan.link"
PLAN_APPROVE: Final = "plan.approve"
PLAN_COMMENT: Final = "plan.comment"
FOLLOWUP_DONE: Final = "followup.done"
FOLLOWUP_MOVE: Final = "followup.move"
MY_CONVERSATIONS: Final = "my.conversations"
MY_AGREEMENTS: Final = "my.agreements"
FIGURES_SHOW: Final = "figures.show"

# Data keys the cards put on their buttons, read back by bot/flows (never retyped there).
DATA_CONVERSATION: Final = "conversation"
DATA_KIND: Final = "kind"
DATA_POSITION: Final = "position"
DATA_AGREEMENT: Final = "agreement"
DATA_OWNER: Final = "owner"
DATA_KEYWORD: Final = "keyword"
DATA_COVERED: Final = "covered"
DATA_FORM: Final = "form"
DATA_FORCE: Final = "force"
DATA_FROM: Final = "from"
DATA_RETRY_OF: Final = "retry_of"  # the first press's activity id, on a "Prøv igen" button
DATA_COPY: Final = "copy"  # which posting of the live card a press came from
DATA_NO_GOALS: Final = "no_goals"  # finishing a MUS or LUS without agreements was confirmed
DATA_VERSION: Final = "version"  # the version of the plan a card shows
DATA_YEAR: Final = "year"
DATA_VIEW: Final = "view"  # the card a follow-up press came from (MY_AGREEMENTS: answer with it)
