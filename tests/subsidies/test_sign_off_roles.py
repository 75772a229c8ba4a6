"""Each of a claim's three signatures belongs to one role: staff (业务科室) sign as case handler,
the section head (科长) second, the deputy director (副局长) last; nobody signs another's."""

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from subsidies import services
from subsidies.models import SignOff, SubsidyClaim
from tests.portal.factories import StaffFactory
from tests.subsidies.factories import SectionHeadFactory
from tests.subsidies.flow import advance, rent_claim, rent_ready

pytestmark = pytest.mark.django_db
S = SubsidyClaim.Status
Stage = SignOff.Stage


@pytest.fixture
def claim(actors) -> SubsidyClaim:
    rent_ready(actors)
    return advance(actors, rent_claim(actors), S.UNDER_REVIEW)


def _sign(claim, stage, user) -> SignOff:
    return services.subsidy_claim_sign(claim=claim, stage=stage, acting_user=user)


def _refused(claim, stage, user) -> None:
    """The signature is refused for want of the role, and nothing is written."""
    before = list(claim.sign_offs.values_list("stage", "signed_by"))
    with pytest.raises(PermissionDenied):
        _sign(claim, stage, user)
    assert list(claim.sign_offs.values_list("stage", "signed_by")) == before


def test_the_section_head_cannot_sign_as_case_handler(actors, claim):
    # The first signature is due, so only the missing role refuses it.
    _refused(claim, Stage.HANDLER, actors.head)


def test_the_section_head_cannot_sign_as_deputy_director(actors, claim):
    _sign(claim, Stage.HANDLER, actors.handler)
    _sign(claim, Stage.SECTION_HEAD, SectionHeadFactory())  # another section head
    _refused(claim, Stage.DEPUTY_DIRECTOR, actors.head)


def test_the_deputy_director_cannot_sign_as_section_head(actors, claim):
    _sign(claim, Stage.HANDLER, actors.handler)
    _refused(claim, Stage.SECTION_HEAD, actors.deputy)


def test_the_deputy_director_cannot_sign_as_case_handler(actors, claim):
    _refused(claim, Stage.HANDLER, actors.deputy)


def test_staff_cannot_sign_as_section_head_or_deputy_director(actors, claim):
    colleague = StaffFactory()  # staff who did not sign as case handler
    _sign(claim, Stage.HANDLER, actors.handler)
    _refused(claim, Stage.SECTION_HEAD, colleague)
    _sign(claim, Stage.SECTION_HEAD, actors.head)
    _refused(claim, Stage.DEPUTY_DIRECTOR, colleague)


def test_the_three_roles_sign_a_claim_off_in_order(actors, claim):
    for stage, user in (
        (Stage.HANDLER, actors.handler),
        (Stage.SECTION_HEAD, actors.head),
        (Stage.DEPUTY_DIRECTOR, actors.deputy),
    ):
        _sign(claim, stage, user)
    claim.refresh_from_db()
    assert claim.status == S.SIGNED_OFF
    assert [s.signed_by for s in claim.sign_offs.all()] == [
        actors.handler,
        actors.head,
        actors.deputy,
    ]


# --- in the admin ---------------------------------------------------------------------------


def _change_url(claim) -> str:
    return reverse("admin:subsidies_subsidyclaim_change", args=[claim.pk])


def _step(client, claim, target, **data):
    url = reverse("admin:subsidies_subsidyclaim_step", args=[claim.pk, target])
    return client.post(url, {"note": "", **data})


def test_the_section_head_signs_from_the_claim_page_and_takes_no_other_step(client, actors, claim):
    _sign(claim, Stage.HANDLER, actors.handler)
    client.force_login(actors.head)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"

    page = client.get(_change_url(claim))
    assert page.status_code == 200
    offered = [url for _label, url in page.context["workflow_steps"]]
    assert offered == [
        reverse("admin:subsidies_subsidyclaim_step", args=[claim.pk, S.SECTION_HEAD_SIGNED])
    ]

    for target in (S.REJECTED, S.RETURNED, S.IN_NOTICE, S.APPROVED, S.SIGNED_OFF):
        response = _step(
            client,
            claim,
            target,
            reason="科长越权",
            starts_on="2026-01-05",
            ends_on="2026-01-11",
            approved_amount="1",
        )
        assert response.status_code == 403, target
    claim.refresh_from_db()
    assert claim.status == S.HANDLER_SIGNED and claim.sign_offs.count() == 1

    assert _step(client, claim, S.SECTION_HEAD_SIGNED).status_code == 302
    assert claim.sign_offs.get(stage=Stage.SECTION_HEAD).signed_by == actors.head


def test_a_signer_cannot_add_or_import_claims(client, actors):
    for user in (actors.head, actors.deputy):
        client.force_login(user)
        assert client.get(reverse("admin:subsidies_subsidyclaim_changelist")).status_code == 200
        assert client.get(reverse("admin:subsidies_subsidyclaim_add")).status_code == 403
        assert client.get(reverse("admin:subsidies_subsidyclaim_import")).status_code == 403
        assert client.get(reverse("admin:subsidies_subsidypolicy_add")).status_code == 403
