"""Pages: the release checklist of a lot with its signing forms, the certificate of analysis, clinic alerts."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError

from batchtrack.auth.principal import Principal
from batchtrack.batch_record import formatting
from batchtrack.errors import NotFound
from batchtrack.i18n.text import Text, _
from batchtrack.lots import service as lot_service
from batchtrack.lots.schemas import ReasonOut
from batchtrack.models.user import Role
from batchtrack.release import alerts as release_alerts
from batchtrack.release import schemas
from batchtrack.release import service as release_service
from batchtrack.release.routes import AlertPath, pdf_response
from batchtrack.web.deps import ANY_ROLE, Allow, AnchorDep, SessionDep, SettingsDep
from batchtrack.web.rendering import form_invalid, render, translations_of
from batchtrack.web.validation import DinPath, SignerUserIdForm

router = APIRouter(include_in_schema=False)
Viewer = Annotated[Principal, Depends(ANY_ROLE)]
ChecklistReader = Annotated[Principal, Depends(Allow(*release_service.READERS))]
Quality = Annotated[Principal, Depends(Allow(*release_service.RELEASERS))]
CoSigner = Annotated[Principal, Depends(Allow(*release_service.CO_SIGNERS))]
Acknowledger = Annotated[Principal, Depends(Allow(*release_alerts.ACKNOWLEDGERS))]
PasswordField = Annotated[str, Form(max_length=256)]

# The release checklist: each condition of DESIGN.md section 4 and the reason codes that say it is unmet.
CHECKLIST: tuple[tuple[Text, tuple[str, ...]], ...] = (
    (_("The lot is in QC"), ("lot.wrong_state",)),
    (_("You are QA"), ("actor.role",)),
    (_("A specification version is bound to the lot"), ("release.no_specification",)),
    (_("Every test has a final result within its limit"),
     ("release.test_missing", "release.test_failed", "release.test_not_evaluated", "release.test_not_final")),
    (_("No deviation is open"), ("release.open_deviation",)),
    (_("Every printed label is accounted for and every applied label was verified by a scan"),
     ("release.labels_unreconciled", "release.labels_unverified")),
    (_("The chain of custody has no gap"), ("release.custody_gap",)),
    (_("You performed no processing step of this lot"), ("release.four_eyes",)),
    (_("The recipient is still eligible and has not withdrawn consent"),
     ("release.recipient_not_eligible", "release.consent_withdrawn")),
    (_("The recipient has no penicillin or streptomycin hypersensitivity"),
     ("release.pen_strep_hypersensitivity",)),
    (_("The lot is not expired"), ("lot.no_expiry", "lot.expired")),
    (_("QA signed the review of the lot's record, and no exception was recorded since"),
     ("release.record_review_missing", "release.record_review_outdated")),
)
PENDING_CHECKLIST: tuple[tuple[Text, tuple[str, ...]], ...] = (
    (_("The specification marks sterility as post-release"), ("release.pending_not_allowed",)),
    (_("In-process sterility and Gram stain are final and negative"), ("release.pending_prerequisite",)),
    (_("The medical director and the treating physician have signed"), ("release.co_signature_missing",)),
)
_CO_SIGNER_ROLE = {"medical_director": Role.MEDICAL_DIRECTOR, "treating_physician": Role.INVESTIGATOR}


@dataclass(frozen=True, slots=True)
class CheckItem:
    """One condition of the checklist with the reasons it is unmet (none: met)."""

    label: Text
    reasons: tuple[ReasonOut, ...]

    @property
    def met(self) -> bool:
        """True when no reason says otherwise."""
        return not self.reasons


def checklist(reasons: list[ReasonOut], groups: tuple[tuple[Text, tuple[str, ...]], ...]) -> list[CheckItem]:
    """Every condition with its unmet reasons; a reason no condition names is listed too, so none is hidden."""
    known = {code for _, codes in groups for code in codes}
    items = [CheckItem(label, tuple(r for r in reasons if r.code in codes)) for label, codes in groups]
    others = tuple(r for r in reasons if r.code not in known)
    if others:
        items.append(CheckItem(_("Other conditions"), others))
    return items


def _back(request: Request, din: str) -> RedirectResponse:
    return RedirectResponse(request.url_for("release_page", din=din), status_code=303)


@router.get("/lots/{din}/release", name="release_page")
def release_page(din: DinPath, request: Request, session: SessionDep, viewer: ChecklistReader) -> Response:
    """The release checklist: every unmet condition at once, the signing forms, the pending-sterility path."""
    lot = lot_service.get_by_din(session=session, din=din)
    summary = release_service.summary(session=session, lot=lot, actor=viewer,
                                      translations=translations_of(request, viewer),
                                      zone=request.app.state.settings.zone)
    pending_groups = CHECKLIST + PENDING_CHECKLIST
    return render(request, "release/release.html", {
        "s": summary,
        "checklist": checklist(summary.release_refusals, CHECKLIST),
        "pending_checklist": [item for item in checklist(summary.pending_sterility_refusals, pending_groups)
                              if not item.met],
        "is_qa": viewer.has_any(release_service.RELEASERS),
        "signed_roles": {c.role for c in summary.co_signatures},
        "may_co_sign_as": [role for role, needed in _CO_SIGNER_ROLE.items() if needed in viewer.roles],
    }, principal=viewer)


@router.post("/lots/{din}/release", name="release_sign")
def release_sign(
    din: DinPath, request: Request, session: SessionDep, actor: Quality, password: PasswordField = "",
    pending_sterility: Annotated[bool, Form()] = False, username: SignerUserIdForm = "",
) -> Response:
    """Release the lot with QA's signature; a refusal shows every unmet condition."""
    try:
        data = schemas.ReleaseRequest(username=username, password=password, pending_sterility=pending_sterility)
    except ValidationError as exc:
        raise form_invalid(exc) from exc
    release_service.release(session=session, actor=actor, din=din, username=data.username, password=data.password,
                            pending_sterility=data.pending_sterility, zone=request.app.state.settings.zone)
    return _back(request, din)


@router.post("/lots/{din}/reject", name="release_reject")
def release_reject(
    din: DinPath, request: Request, session: SessionDep, actor: Quality, password: PasswordField = "",
    reason: Annotated[str, Form(max_length=4000)] = "", username: SignerUserIdForm = "",
) -> Response:
    """Reject the lot with QA's signature and the reason."""
    try:
        data = schemas.RejectRequest(username=username, password=password, reason=reason.replace("\r\n", "\n"))
    except ValidationError as exc:
        raise form_invalid(exc) from exc
    release_service.reject(session=session, actor=actor, din=din, username=data.username, password=data.password,
                           reason=data.reason, zone=request.app.state.settings.zone)
    return _back(request, din)


@router.post("/lots/{din}/release/co-signatures", name="release_co_sign")
def release_co_sign(
    din: DinPath, request: Request, session: SessionDep, actor: CoSigner, password: PasswordField = "",
    role: Annotated[str, Form(max_length=32)] = "", username: SignerUserIdForm = "",
) -> Response:
    """Co-sign the release pending sterility as medical director or treating physician."""
    try:
        data = schemas.CoSignRequest.model_validate({"role": role, "username": username, "password": password})
    except ValidationError as exc:
        raise form_invalid(exc) from exc
    release_service.co_sign(session=session, actor=actor, din=din, role=data.role, username=data.username,
                            password=data.password)
    return _back(request, din)


@router.get("/lots/{din}/certificate", name="certificate_page")
def certificate_page(din: DinPath, request: Request, session: SessionDep, viewer: Viewer) -> Response:
    """The certificate of analysis, with its PDF; before QA's decision, says that none is issued yet."""
    lot = lot_service.get_by_din(session=session, din=din)
    try:
        cert: schemas.CertificatePublic | None = release_service.certificate(session=session, din=din)
        missing: Text | None = None
    except NotFound as exc:
        cert, missing = None, exc.text
    return render(request, "release/certificate.html", {
        "din": lot.din, "cert": cert, "missing": missing, "fmt": formatting,
    }, principal=viewer)


@router.get("/lots/{din}/certificate.pdf", name="certificate_pdf")
def certificate_pdf(request: Request, din: DinPath, session: SessionDep, settings: SettingsDep, anchor: AnchorDep,
                    viewer: Viewer) -> Response:
    """The certificate of analysis as a PDF, downloaded from the page, in the page's language and the site's zone."""
    return pdf_response(release_service.certificate(session=session, din=din), anchor,
                        translations_of(request, viewer), display_timezone=settings.display_timezone)


@router.get("/alerts", name="alerts_page")
def alerts_page(
    request: Request, session: SessionDep, viewer: Viewer,
    show: Annotated[str, Query(pattern="^(open|all)$")] = "open",
) -> Response:
    """Alerts to the clinic; the unacknowledged ones, or all."""
    rows = release_alerts.alerts(session=session, open_only=show == "open", limit=200)
    return render(request, "release/alerts.html", {
        "alerts": release_alerts.alerts_public(session=session, rows=rows), "show": show,
        "may_acknowledge": viewer.has_any(release_alerts.ACKNOWLEDGERS),
    }, principal=viewer)


@router.post("/alerts/{alert_id}/acknowledge", name="alert_acknowledge")
def alert_acknowledge(alert_id: AlertPath, request: Request, session: SessionDep, actor: Acknowledger) -> Response:
    """Acknowledge an alert, then show the alerts."""
    release_alerts.acknowledge_alert(session=session, actor=actor, alert_id=alert_id)
    return RedirectResponse(request.url_for("alerts_page"), status_code=303)
