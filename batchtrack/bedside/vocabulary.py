"""The names people read at the bedside for a container's kind and status, a therapy's state and the meaning of an
infusion's signatures (the codes stay as they are in the API, in the reason codes and in the signed records)."""

from __future__ import annotations

from batchtrack.i18n.text import Text, _

# The English is the code with spaces, as the refusals have always spelled it.
CONTAINER_KINDS: dict[str, Text] = {
    "aspirate_bag": _("aspirate bag"),
    "culture_vessel": _("culture vessel"),
    "qc_sample": _("qc sample"),
    "final_product": _("final product"),
}

CONTAINER_STATUSES: dict[str, Text] = {
    "in_use": _("in use"),
    "consumed": _("consumed"),
    "infused": _("infused"),
    "destroyed": _("destroyed"),
}

THERAPY_STATES: dict[str, Text] = {
    "open": _("open"),
    "completed": _("completed"),
}

# The meanings an infusion is signed with (21 CFR 11.50: the signature shows what it attests).
SIGNATURE_MEANINGS: dict[str, Text] = {
    "performed": _("performed"),
    "reviewed": _("reviewed"),
}


def _unnamed(code: str) -> Text:
    # A code without a name here is shown as it is (never looked up in a catalog).
    return Text(code.replace("_", " ").replace("{", "{{").replace("}", "}}"))


def container_kind(kind: str) -> Text:
    """What a container is, as people read it."""
    return CONTAINER_KINDS.get(kind) or _unnamed(kind)


def container_status(status: str) -> Text:
    """Where a container is in its life, as people read it."""
    return CONTAINER_STATUSES.get(status) or _unnamed(status)


def therapy_state(state: str) -> Text:
    """Where a therapy is in its life, as people read it."""
    return THERAPY_STATES.get(state) or _unnamed(state)


def signature_meaning(meaning: str) -> Text:
    """What a signature attests, as people read it."""
    return SIGNATURE_MEANINGS.get(meaning) or _unnamed(meaning)
