"""Models of the enterprises app: the registry and the service desk.

Split by topic; import them from here (`from enterprises.models import Enterprise`).
"""

from enterprises.models.registry import (
    CERTIFICATE_NUMBER_RE,
    CERTIFICATE_YEARS,
    USCC_MESSAGES,
    AnnualFigures,
    Enterprise,
    EnterpriseQuerySet,
    HighTechCertificate,
    HighTechCertificateQuerySet,
    ImportJob,
    Industry,
    Listing,
    Street,
    TechFirmRegistration,
    TechFirmRegistrationQuerySet,
    USCCField,
    uscc_error_message,
)
from enterprises.models.service_desk import (
    Department,
    OverdueDigest,
    ProjectRecommendation,
    ProjectRecommendationStatusChange,
    RequestCategory,
    ServiceRequest,
    ServiceRequestQuerySet,
    ServiceRequestStatusChange,
    ServiceVisit,
    ServiceVisitQuerySet,
)

__all__ = [
    "CERTIFICATE_NUMBER_RE",
    "CERTIFICATE_YEARS",
    "USCC_MESSAGES",
    "AnnualFigures",
    "Department",
    "Enterprise",
    "EnterpriseQuerySet",
    "HighTechCertificate",
    "HighTechCertificateQuerySet",
    "ImportJob",
    "Industry",
    "Listing",
    "OverdueDigest",
    "ProjectRecommendation",
    "ProjectRecommendationStatusChange",
    "RequestCategory",
    "ServiceRequest",
    "ServiceRequestQuerySet",
    "ServiceRequestStatusChange",
    "ServiceVisit",
    "ServiceVisitQuerySet",
    "Street",
    "TechFirmRegistration",
    "TechFirmRegistrationQuerySet",
    "USCCField",
    "uscc_error_message",
]
