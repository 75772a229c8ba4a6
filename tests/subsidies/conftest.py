import pytest
from django.utils import translation

from tests.subsidies.factories import ensure_roles


@pytest.fixture
def english():
    with translation.override("en"):
        yield


@pytest.fixture(autouse=True)
def roles(request):
    """The role groups, even after a transactional test emptied the tables."""
    marker = request.node.get_closest_marker("django_db")
    if marker is None:
        return
    transactional = marker.kwargs.get("transaction", False)
    request.getfixturevalue("transactional_db" if transactional else "db")
    ensure_roles()


class Actors:
    """One user of each role around one enterprise, one carrier and one audit firm."""

    def __init__(self) -> None:
        from tests.enterprises.factories import EnterpriseFactory
        from tests.incubators.factories import IncubatorFactory, OperatorFactory
        from tests.portal.factories import EnterpriseUserFactory, StaffFactory, UserFactory
        from tests.subsidies.factories import (
            AuditFirmFactory,
            AuditorFactory,
            DeputyDirectorFactory,
            FinanceFactory,
            SectionHeadFactory,
        )

        self.enterprise = EnterpriseFactory()
        self.member = EnterpriseUserFactory(enterprise=self.enterprise)
        self.other_member = EnterpriseUserFactory()
        self.incubator = IncubatorFactory()
        self.operator = OperatorFactory(incubator=self.incubator)
        self.handler = StaffFactory(first_name="经办")
        self.head = SectionHeadFactory(first_name="科长")
        self.deputy = DeputyDirectorFactory(first_name="副局长")
        self.finance = FinanceFactory()
        self.firm = AuditFirmFactory()
        self.auditor = AuditorFactory(audit_firm=self.firm)
        self.other_auditor = AuditorFactory()
        self.anonymous_user = UserFactory()


@pytest.fixture
def actors(db):
    return Actors()
