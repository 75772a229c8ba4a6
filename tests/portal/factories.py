import factory
from django.contrib.auth.models import Group

from portal.accounts.models import User
from portal.accounts.roles import Role

PASSWORD = "Kjj-demo-2026!"


def _add_roles(user, create, roles) -> None:
    for role in roles or ():
        user.groups.add(Group.objects.get(name=Role(role).value))
    if create:
        user.save()


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.cn")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def roles(self, create, extracted, **kwargs):
        _add_roles(self, create, extracted)


class StaffFactory(UserFactory):
    is_staff = True

    @factory.post_generation
    def roles(self, create, extracted, **kwargs):
        _add_roles(self, create, (Role.BUREAU_STAFF,) if extracted is None else extracted)


class EnterpriseUserFactory(UserFactory):
    organisation_kind = User.OrganisationKind.ENTERPRISE
    link_status = User.LinkStatus.APPROVED
    enterprise = factory.SubFactory("tests.enterprises.factories.EnterpriseFactory")

    @factory.post_generation
    def roles(self, create, extracted, **kwargs):
        _add_roles(self, create, (Role.ENTERPRISE_USER,) if extracted is None else extracted)
