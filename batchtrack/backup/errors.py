"""Why a backup or restore was refused."""

from __future__ import annotations


class BackupRefused(Exception):
    """A backup or restore that was not done (or failed its checks), with the reason for the operator."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message
