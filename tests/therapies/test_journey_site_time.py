"""The journey's times are the site's: at the first site, in Seoul, with the zone named."""

from __future__ import annotations

import re
from zoneinfo import ZoneInfo

import pytest
from conftest import api_client
from fastapi import FastAPI
from sqlmodel import col, select

from batchtrack.config import Settings
from batchtrack.db import Database
from batchtrack.models.bedside import Infusion

from coi_report_builders import infused_therapy

SEOUL = ZoneInfo("Asia/Seoul")


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """The first site's settings: its times in Seoul."""
    settings.display_timezone = "Asia/Seoul"
    return settings


def test_the_infusion_and_the_hand_overs_read_in_seoul_time(
    app: FastAPI, database: Database, settings: Settings
) -> None:
    built = infused_therapy(database, settings)
    with database.transaction() as session:
        started = session.execute(select(col(Infusion.started_at))).scalar_one()
    page = api_client(app, built.investigator).get(f"/therapies/{built.coi}/journey",
                                                   headers={"accept": "text/html"}).text
    infusion = re.search(r'id="milestone-infusion">(.*?)</li>', page, re.S)
    assert infusion is not None
    assert started.astimezone(SEOUL).strftime("%Y-%m-%d %H:%M") + " KST" in infusion.group(1)
    table = re.search(r'<table id="temperature-table">(.*?)</table>', page, re.S)
    assert table is not None and "KST" in table.group(1) and "UTC" not in table.group(1)
