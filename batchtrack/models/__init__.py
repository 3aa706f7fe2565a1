"""Every table of batchtrack; importing this package registers all of them on one metadata."""

from sqlmodel import SQLModel

from batchtrack.models.audit import AuditEntry
from batchtrack.models.base import UTCDateTime, utcnow
from batchtrack.models.bedside import BedsideCheck, Infusion
from batchtrack.models.collection import Collection, ReceiptRecord
from batchtrack.models.container import Container, ContainerKind, ContainerStatus
from batchtrack.models.custody import CustodyEvent
from batchtrack.models.deviation import Deviation, DeviationOrigin, DeviationState
from batchtrack.models.enrolment import Allergy, EligibilityAssessment, WeightRecord
from batchtrack.models.equipment import Equipment, EquipmentKind, EquipmentUse
from batchtrack.models.label import Label, LabelPrint, LabelStatus
from batchtrack.models.lot import Lot, LotCollection
from batchtrack.models.material import MaterialKind, MaterialLot, MaterialStatus, MaterialUse
from batchtrack.models.party import Donor, DonorKind, Recipient
from batchtrack.models.processing import ProcessStep, StepState, StepValue, StepVessel, VesselRole, Workstation
from batchtrack.models.quality import (
    Alert,
    ApprovalRole,
    QcResult,
    ReleaseApproval,
    ReleaseDecision,
    ReleaseDecisionKind,
    ResultStatus,
    Specification,
    SpecificationStatus,
)
from batchtrack.models.sequence import IdentifierSequence
from batchtrack.models.signature import Signature, SignatureMeaning
from batchtrack.models.therapy import Therapy
from batchtrack.models.user import ApiToken, PasswordHistory, Role, User, UserRole, UserSession

# Tables of these modules are registered by importing them; their names are imported from the modules themselves.
from batchtrack.models import notification, qualification, review, sign_in  # noqa: F401  isort: skip

metadata = SQLModel.metadata

__all__ = [
    "Alert",
    "Allergy",
    "ApiToken",
    "ApprovalRole",
    "AuditEntry",
    "BedsideCheck",
    "Collection",
    "Container",
    "ContainerKind",
    "ContainerStatus",
    "CustodyEvent",
    "Deviation",
    "DeviationOrigin",
    "DeviationState",
    "Donor",
    "DonorKind",
    "EligibilityAssessment",
    "Equipment",
    "EquipmentKind",
    "EquipmentUse",
    "IdentifierSequence",
    "Infusion",
    "Label",
    "LabelPrint",
    "LabelStatus",
    "Lot",
    "LotCollection",
    "MaterialKind",
    "MaterialLot",
    "MaterialStatus",
    "MaterialUse",
    "PasswordHistory",
    "ProcessStep",
    "QcResult",
    "ReceiptRecord",
    "Recipient",
    "ReleaseApproval",
    "ReleaseDecision",
    "ReleaseDecisionKind",
    "ResultStatus",
    "Role",
    "Signature",
    "SignatureMeaning",
    "Specification",
    "SpecificationStatus",
    "StepState",
    "StepValue",
    "StepVessel",
    "Therapy",
    "UTCDateTime",
    "User",
    "UserRole",
    "UserSession",
    "VesselRole",
    "WeightRecord",
    "Workstation",
    "metadata",
    "utcnow",
]
