"""Through nginx, two batchtrack servers and PgBouncer in transaction mode, as deploy/ ships them: therapies and
the same-lot races through the chain, the sign-in throttle that sees each client's own address on every server,
and sessions that every server honours."""

from __future__ import annotations

import re
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import httpx2 as httpx
import pytest
from conftest import PG_URL
from deployment import stack
from deployment.conftest import STATIONS, THROTTLE_FAILURES, Deployment
from resilience.conftest import ChainRunner, Races, assert_whole_database
from sqlalchemy import select
from sqlmodel import col

from batchtrack.main import SESSION_COOKIE
from batchtrack.models.sign_in import SignInFailure
from batchtrack.models.user import Role

from builders import UserHandle, make_user
from processing_builders import add_instrument
from release_builders import decisions, lot_state

pytestmark = [
    pytest.mark.slow,
    # The first test also starts the deployment (four server processes, nginx, PgBouncer): on a busy machine a minute.
    pytest.mark.timeout(900),
    pytest.mark.skipif(not PG_URL.startswith("postgres"), reason="the deployment runs on PostgreSQL: set "
                       "BATCHTRACK_TEST_DATABASE_URL to a PostgreSQL server"),
    pytest.mark.skipif(None in (stack.binary("nginx"), stack.binary("pgbouncer")),
                       reason="nginx or pgbouncer not installed: run .ci/install-deploy-tools"),
]
THERAPIES = 2
HTML = {"accept": "text/html"}


def _sign_in(client: httpx.Client, url: str, user: str, password: str,
             headers: dict[str, str] | None = None) -> httpx.Response:
    """Post the sign-in form as a browser does: the form's CSRF token and its cookie sent back."""
    form = client.get(f"{url}/login", headers={**HTML, **(headers or {})})
    token = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
    assert token, form.text[:500]
    # Kept by the client over HTTPS; over plain HTTP (straight to a server) a Secure cookie is only in the answer.
    cookie = form.cookies.get(SESSION_COOKIE) or client.cookies.get(SESSION_COOKIE)
    assert cookie
    return client.post(f"{url}/login", data={"username": user, "password": password, "next": "/",
                                             "csrf_token": token.group(1)},
                       headers={**HTML, **(headers or {}), "cookie": f"{SESSION_COOKIE}={cookie}"},
                       follow_redirects=False)


def _failures_recorded(deployment: Deployment) -> list[str]:
    with deployment.database.transaction(write=False) as session:
        return list(session.execute(select(col(SignInFailure.client_address))).scalars())


def test_two_therapies_and_the_same_lot_races_through_the_proxy(deployment: Deployment) -> None:
    for station in STATIONS:  # lots are opened only at a biosafety cabinet of the equipment register
        add_instrument(deployment.database, "biosafety_cabinet", station)
    runner = ChainRunner(deployment.database, STATIONS[:THERAPIES])
    races = Races(runner)

    def connect(user: UserHandle) -> httpx.Client:
        return deployment.client(token=user.token)  # nginx spreads each client's requests over both servers

    with ThreadPoolExecutor(max_workers=2 + THERAPIES) as pool:
        release = pool.submit(races.release, connect, attempts=8, station="BSC-R1")
        bedside = pool.submit(races.bedside, connect, pairs=4, station="BSC-R2")
        chains = [pool.submit(runner.run, connect, subject=f"S-{300 + i}", station=STATIONS[i])
                  for i in range(THERAPIES)]
        din, released = release.result()
        _bag, infused = bedside.result()
        outcomes = [chain.result() for chain in chains]

    # Exactly one of the conflicting requests wins; every other one is told why (409), never a 500.
    assert released == Counter({(200, "ok"): 1, (409, "lot.wrong_state"): 7}), released
    assert len(decisions(deployment.database, din)) == 1 and lot_state(deployment.database, din) == "released"
    assert infused == Counter({(201, "ok"): 1, (409, "infusion.bag_infused"): 3}), infused
    assert len({o.din for o in outcomes}) == THERAPIES and all(len(o.infusions) == 2 for o in outcomes)
    counts = assert_whole_database(deployment.database)
    assert counts["releases"] == 2 + THERAPIES and counts["infusions"] == 1 + 2 * THERAPIES, counts
    for server in deployment.servers:
        assert server.errors_logged() == [], server.log_tail()


def test_the_throttle_counts_each_client_by_its_own_address_not_the_proxy_nor_a_forged_header(
    deployment: Deployment,
) -> None:
    user = make_user(deployment.database, Role.QA)
    with deployment.client(source="127.0.0.1") as sprayer, deployment.client(source="127.0.0.2") as colleague:
        # Each failure forges another X-Forwarded-For: nginx replaces it with the address it sees.
        for n in range(THROTTLE_FAILURES):
            forged = {"x-forwarded-for": f"198.51.100.{n + 1}"}
            assert _sign_in(sprayer, "", f"nobody-{n}", "Spray-Password-2026!", forged).status_code == 401
        throttled = _sign_in(sprayer, "", user.username, user.password, {"x-forwarded-for": "198.51.100.99"})
        assert throttled.status_code == 429 and int(throttled.headers["retry-after"]) > 0
        # Another computer behind the same proxy signs in: the proxy's own address is not what is counted.
        assert _sign_in(colleague, "", user.username, user.password).status_code == 303
    assert _failures_recorded(deployment).count("127.0.0.1") == THROTTLE_FAILURES
    assert not [address for address in _failures_recorded(deployment) if address.startswith("198.51.100.")]


def test_the_throttle_holds_across_both_servers(deployment: Deployment) -> None:
    user = make_user(deployment.database, Role.NURSE)
    first, second = deployment.server_urls
    # This test's client is on the servers' trusted proxy address: it forwards a client address of its own choosing,
    # as a proxy does, and sends each failure to a server in turn.
    address = {"x-forwarded-for": "192.0.2.40"}
    with httpx.Client(timeout=30.0) as proxy_like:
        answers = [_sign_in(proxy_like, url, "nobody", "Spray-Password-2026!", address).status_code
                   for url in (first, second, first)]
        assert answers == [401] * THROTTLE_FAILURES
        for url in (first, second):
            assert _sign_in(proxy_like, url, user.username, user.password, address).status_code == 429
        assert _sign_in(proxy_like, second, user.username, user.password,
                        {"x-forwarded-for": "192.0.2.41"}).status_code == 303


def test_a_session_made_through_one_server_is_valid_on_the_other_and_ends_on_both(deployment: Deployment) -> None:
    user = make_user(deployment.database, Role.OPERATOR)
    with deployment.client(source="127.0.0.3") as browser:
        signed_in = _sign_in(browser, "", user.username, user.password)
        assert signed_in.status_code == 303
        cookie = signed_in.cookies.get(SESSION_COOKIE)
        assert cookie and "secure" in signed_in.headers["set-cookie"].lower()  # served over HTTPS by the proxy
    session = {**HTML, "cookie": f"{SESSION_COOKIE}={cookie}"}
    with httpx.Client(timeout=30.0) as direct:
        for url in deployment.server_urls:
            home = direct.get(f"{url}/", headers=session, follow_redirects=False)
            assert home.status_code == 200 and 'action="/logout"' in home.text, (url, home.status_code)
        first, second = deployment.server_urls
        page = direct.get(f"{second}/", headers=session)
        token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
        assert token
        # The form's token is kept in the cookie the page gave back (the session's own record stays the same).
        refreshed = page.cookies.get(SESSION_COOKIE) or cookie
        ended = direct.post(f"{second}/logout", data={"csrf_token": token.group(1)},
                            headers={**HTML, "cookie": f"{SESSION_COOKIE}={refreshed}"}, follow_redirects=False)
        assert ended.status_code == 303
        for url in (first, second):
            assert direct.get(f"{url}/", headers=session, follow_redirects=False).status_code == 303


def test_the_proxy_sends_plain_http_to_https_and_no_server_claims_a_processor(deployment: Deployment) -> None:
    moved = httpx.get(f"{deployment.proxy_http}/login", follow_redirects=False, timeout=10)
    assert moved.status_code == 301 and moved.headers["location"].startswith("https://")
    # The servers write links to the address and scheme the browser used (the proxy's Host and X-Forwarded-Proto).
    with deployment.client() as browser:
        page = browser.get("/login", headers=HTML)
    assert f'href="{deployment.proxy}/static/style.css"' in page.text, page.text[:800]
    # Processor pinning is off unless asked for: no claim files in the servers' temporary folder.
    assert not list(deployment.server_tmp.glob("batchtrack-cpu-claims-*"))
