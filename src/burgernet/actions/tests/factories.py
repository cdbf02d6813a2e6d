from __future__ import annotations

from burgernet.accounts.models import Role
from burgernet.accounts.tests.factories import DispatchCentreFactory, StaffUserFactory


def dispatcher(centre=None):
    centre = centre or DispatchCentreFactory()
    return StaffUserFactory(organisation=centre, roles=[Role.DISPATCHER])
