"""Action.Execute verbs: the contract between the cards and ``bot/``'s verb table.

Every verb is documented in ``docs/cards.md`` with the data it carries.
"""

from typing import Final

HELP: Final = "help.show"
SETUP_OPEN: Final = "setup.open"
SETUP_SAVE: Final = "setup.save"
PREP_KEYWORDS: Final = "prep.keywords"
PREP_REMIND: Final = "prep.remind"
PREP_SHARE: Final = "prep.share"
PREP_STATUS: Final = "prep.status"
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
LIVE_FINISH: Final = "live.finish"
PLAN_GENERATE: Final = "plan.generate"
PLAN_LINK: Final = "plan.link"
FOLLOWUP_DONE: Final = "followup.done"
FOLLOWUP_MOVE: Final = "followup.move"
