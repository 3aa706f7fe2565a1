"""The names people read for the states of a lot and of a process step (the codes stay as they are in the API)."""

from __future__ import annotations

from batchtrack.i18n.text import Text, _

# The English is the state code with spaces, as the refusals have always spelled it.
LOT_STATES: dict[str, Text] = {
    "in_process": _("in process"),
    "harvested": _("harvested"),
    "formulated": _("formulated"),
    "in_qc": _("in qc"),
    "released": _("released"),
    "released_pending_sterility": _("released pending sterility"),
    "rejected": _("rejected"),
    "shipped": _("shipped"),
    "at_clinic": _("at clinic"),
    "infused": _("infused"),
    "expired": _("expired"),
    "destroyed": _("destroyed"),
    "on_hold": _("on hold"),
}

STEP_STATES: dict[str, Text] = {
    "in_progress": _("in progress"),
    "completed": _("completed"),
    "verified": _("verified"),
}


def _unnamed(state: str) -> Text:
    # A code without a name here is shown as it is (never looked up in a catalog).
    return Text(state.replace("_", " ").replace("{", "{{").replace("}", "}}"))


def lot_state(state: str) -> Text:
    """The name of a lot state as people read it."""
    return LOT_STATES.get(state) or _unnamed(state)


def step_state(state: str | None) -> Text:
    """The name of a process step's state as people read it (a step not started has none)."""
    if state is None:
        return _("not started")
    return STEP_STATES.get(state) or _unnamed(state)


def joined(names: list[Text], separator: str = ", ") -> Text:
    """Several names as one text, each in the reader's language."""
    fields = {f"n{index}": name for index, name in enumerate(names)}
    return Text(separator.join("{" + field + "}" for field in fields), tuple(fields.items()))
