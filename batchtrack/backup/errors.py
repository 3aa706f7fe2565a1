"""Why a backup or restore was refused."""

from __future__ import annotations

from batchtrack.i18n.text import Text


class BackupRefused(Exception):
    """A backup or restore that was not done (or failed its checks), with the reason for the operator."""

    def __init__(self, message: Text) -> None:
        super().__init__(str(message))
        self.message = str(message)  # the English, as logs record it
        self.text = message  # in the reader's language where it is shown
