"""Pages: the chain-of-identity report."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(include_in_schema=False)
