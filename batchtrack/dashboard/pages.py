"""Pages: the dashboard and search."""

from __future__ import annotations

from datetime import tzinfo
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import RedirectResponse, Response

from batchtrack.auth.principal import Principal
from batchtrack.dashboard import lockouts, search
from batchtrack.lots import service as lot_service
from batchtrack.lots.workflow import LotState
from batchtrack.release import alerts as release_alerts
from batchtrack.therapies import service as therapy_service
from batchtrack.web.deps import ANY_ROLE, SessionDep, SettingsDep
from batchtrack.web.rendering import render
from batchtrack.worklist import routes as worklist_routes
from batchtrack.worklist import rules as worklist_rules
from batchtrack.worklist import service as worklist_service

router = APIRouter(include_in_schema=False)
Viewer = Annotated[Principal, Depends(ANY_ROLE)]
PAGE_SIZE = 25


@router.get("/")
def dashboard(
    request: Request, session: SessionDep, settings: SettingsDep, viewer: Viewer,
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
    state: Annotated[str | None, Query(max_length=40)] = None,
) -> Response:
    """The viewer's own work first; then therapies and lots by state, the newest lots, a search box; for QA and
    admin, recent account lockouts."""
    state = lot_service.require_state_name(state or None)
    lots, total = lot_service.list_lots(session=session, offset=(page - 1) * PAGE_SIZE, limit=PAGE_SIZE,
                                        state=state)
    return render(request, "dashboard/index.html", {
        "my_work": _my_work(request, worklist_service.worklist(session=session, viewer=viewer, zone=settings.zone),
                            settings.zone),
        "lot_counts": lot_service.counts_by_state(session=session),
        "therapy_counts": therapy_service.counts_by_state(session=session),
        "lot_states": [s.value for s in LotState],
        "lots": [lot_service.to_public(session=session, lot=lot) for lot in lots],
        "page": page, "pages": max(1, -(-total // PAGE_SIZE)), "total": total, "state": state,
        "alerts": release_alerts.alerts_public(
            session=session, rows=release_alerts.alerts(session=session, open_only=True, limit=20)),
        "lockouts": lockouts.recent(session=session) if viewer.has_any(lockouts.VIEWERS) else None,
    }, principal=viewer)


def _my_work(request: Request, worklist: worklist_service.Worklist, zone: tzinfo) -> list[dict[str, Any]]:
    """The worklist's sections as the page shows them: each item with its link, due time and countdown."""
    return [{
        "kind": section.kind.value, "title": worklist_rules.TITLES[section.kind],
        "empty": worklist_rules.EMPTY[section.kind], "more": section.more,
        "entries": [{"item": item, "href": worklist_routes.link_path(request, item.link),
                   "overdue": worklist_rules.overdue(item, worklist.now),
                   "due": worklist_rules.due_text(item.due_at, worklist.now, zone) if item.due_at else None}
                  for item in section.items],
    } for section in worklist.sections]


@router.get("/search")
def find(
    request: Request, session: SessionDep, viewer: Viewer, q: Annotated[str, Query(max_length=200)] = "",
) -> Response:
    """Go to the lot or therapy an identifier names, or say why nothing matched."""
    hit = search.find(session=session, query=q, sees_identity=viewer.sees_patient_identity)
    if hit.kind == "lot":
        return RedirectResponse(request.url_for("lot_page", din=hit.key), status_code=303)
    if hit.kind == "therapy":
        return RedirectResponse(request.url_for("therapy_page", coi=hit.key), status_code=303)
    if hit.kind == "subject":
        return RedirectResponse(request.url_for("subject_page", subject_code=hit.key), status_code=303)
    if hit.kind == "subjects":
        return RedirectResponse(request.url_for("subjects").include_query_params(name=hit.key), status_code=303)
    return render(request, "dashboard/search.html", {"query": q, "message": hit.message}, principal=viewer,
                  status_code=404)
