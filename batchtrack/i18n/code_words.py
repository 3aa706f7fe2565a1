"""The words people read for the stored codes the printed records show (pure): states, decisions, kinds, label
statuses, roles, and what a signature means.

A code stays as it is in the database, the API, the FHIR export and the audit trail; where a record shows it to
people it is a message, whose English is the code with spaces ('released_pending_sterility' -> 'released pending
sterility'), so the English reads as it always has. An unknown code is shown as its words, untranslated.
"""

from __future__ import annotations

from batchtrack.i18n.text import Text, _
from batchtrack.lots import state_names

# Each English text is the code with its underscores as spaces: `words` of a known code reads in English exactly as
# an unknown one does. The literals are written out so that Babel extracts them.
WORDS: dict[str, Text] = {
    # lots, and process steps: the names their refusals use
    **state_names.LOT_STATES,
    **state_names.STEP_STATES,
    # therapies, deviations
    "open": _("open"),
    "closed": _("closed"),
    "manual": _("manual"),
    "out_of_limit": _("out of limit"),
    "bedside_check": _("bedside check"),
    # collections and the laboratory's receipt of them
    "scheduled": _("scheduled"),
    "collected": _("collected"),
    "in_transit": _("in transit"),
    "accepted": _("accepted"),
    "quarantined": _("quarantined"),
    "accept": _("accept"),
    "reject": _("reject"),
    "quarantine": _("quarantine"),
    # donors
    "autologous": _("autologous"),
    "directed": _("directed"),
    "eligible": _("eligible"),
    "ineligible": _("ineligible"),
    # containers, label templates, labels
    "aspirate_bag": _("aspirate bag"),
    "culture_vessel": _("culture vessel"),
    "qc_sample": _("qc sample"),
    "final_product": _("final product"),
    "bedside_tag": _("bedside tag"),
    "in_use": _("in use"),
    "consumed": _("consumed"),
    "printed": _("printed"),
    "applied": _("applied"),
    "voided": _("voided"),
    # the vessels a process step takes in and gives out
    "in": _("in"),
    "out": _("out"),
    # materials and instruments
    "medium": _("medium"),
    "platelet_lysate": _("platelet lysate"),
    "serum": _("serum"),
    "pen_strep": _("pen strep"),
    "trypsin": _("trypsin"),
    "saline": _("saline"),
    "albumin": _("albumin"),
    "cryoprotectant": _("cryoprotectant"),
    "incubator": _("incubator"),
    "biosafety_cabinet": _("biosafety cabinet"),
    "cell_counter": _("cell counter"),
    "centrifuge": _("centrifuge"),
    "controlled_rate_freezer": _("controlled rate freezer"),
    # what a signature means, and who co-signs a release pending sterility
    "performed": _("performed"),
    "reviewed": _("reviewed"),
    "approved": _("approved"),
    "medical_director": _("medical director"),
    "treating_physician": _("treating physician"),
    # QC results
    "preliminary": _("preliminary"),
    "final": _("final"),
}

# A material lot QA released is released for use, not released as a lot is: its own words.
MATERIAL_STATUS_WORDS: dict[str, Text] = {
    "quarantine": _("quarantine"),
    "released": _("released for use"),
    "rejected": _("rejected"),
}


def plain(code: str) -> str:
    """A code as English words, untranslated ('in_progress' -> 'in progress')."""
    return code.replace("_", " ")


def words(code: str) -> str | Text:
    """A stored code as words in the reader's language where it is known; otherwise its words as they are."""
    return WORDS.get(code) or plain(code)


def material_status(code: str) -> str | Text:
    """A material lot's status as people read it ('released' -> 'released for use')."""
    return MATERIAL_STATUS_WORDS.get(code) or plain(code)
