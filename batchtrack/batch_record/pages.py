"""Pages: the batch record of a lot."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(include_in_schema=False)
