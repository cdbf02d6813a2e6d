"""Factories for organisations and staff, shared by every app's tests."""

from __future__ import annotations

import factory
from django_otp.plugins.otp_totp.models import TOTPDevice

from burgernet.accounts.models import Organisation, OrganisationKind, StaffUser


class OrganisationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organisation

    kind = OrganisationKind.MUNICIPALITY
    name = factory.Sequence(lambda n: f"Organisatie {n}")
    code = factory.Sequence(lambda n: f"ORG{n:05d}")


class PoliceUnitFactory(OrganisationFactory):
    kind = OrganisationKind.POLICE_UNIT
    name = factory.Sequence(lambda n: f"Politie-eenheid {n}")


class DispatchCentreFactory(OrganisationFactory):
    kind = OrganisationKind.DISPATCH_CENTRE
    name = factory.Sequence(lambda n: f"Meldkamer {n}")
    parent = factory.SubFactory(PoliceUnitFactory)


class MunicipalityFactory(OrganisationFactory):
    kind = OrganisationKind.MUNICIPALITY
    name = factory.Sequence(lambda n: f"Gemeente {n}")
    parent = factory.SubFactory(PoliceUnitFactory)


class StaffUserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = StaffUser
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"staff{n}")
    first_name = "Test"
    organisation = factory.SubFactory(MunicipalityFactory)
    roles: list[str] = []
    password = factory.PostGenerationMethodCall("set_password", "correct horse battery")

    @factory.post_generation
    def with_device(self, create: bool, extracted: bool | None, **kwargs: object) -> None:
        if create:
            self.save()
            if extracted is not False:
                TOTPDevice.objects.create(user=self, name="test", confirmed=True)
