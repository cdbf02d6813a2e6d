"""Who may see what: the one scoping helper every selector uses.

Staff of a municipality see their own municipality; staff of a police unit, its dispatch
centres and basic teams see the municipalities of that unit; the national office sees all.
A municipality's participants are those with a location inside its boundary.
"""

from __future__ import annotations

from typing import TypeVar

from django.db.models import Model, Q, QuerySet

from burgernet.accounts.models import Organisation, OrganisationKind, StaffUser

M = TypeVar("M", bound=Model)

_UNIT_LEVEL = {
    OrganisationKind.POLICE_UNIT,
    OrganisationKind.DISPATCH_CENTRE,
    OrganisationKind.BASIC_TEAM,
}


def is_national(user: StaffUser) -> bool:
    """National programme office staff (and superusers) see every organisation."""
    org = user.organisation
    return bool(user.is_superuser or (org and org.kind == OrganisationKind.NATIONAL))


def municipalities_in_scope(user: StaffUser) -> QuerySet[Organisation]:
    """The municipalities whose data `user` may see."""
    municipalities = Organisation.objects.filter(kind=OrganisationKind.MUNICIPALITY)
    if is_national(user):
        return municipalities
    org = user.organisation
    if org is None:
        return municipalities.none()
    if org.kind == OrganisationKind.MUNICIPALITY:
        return municipalities.filter(pk=org.pk)
    if org.kind in _UNIT_LEVEL:
        return municipalities.filter(parent_id=org.police_unit_id)
    return municipalities.none()


def organisations_in_scope(user: StaffUser) -> QuerySet[Organisation]:
    """Organisations whose own records (actions, drafts, mailings) `user` may see."""
    if is_national(user):
        return Organisation.objects.all()
    org = user.organisation
    if org is None:
        return Organisation.objects.none()
    if org.kind in _UNIT_LEVEL:
        unit = org.police_unit_id
        return Organisation.objects.filter(Q(pk=unit) | Q(parent_id=unit))
    return Organisation.objects.filter(pk=org.pk)


def restrict_to_municipalities(
    queryset: QuerySet[M], user: StaffUser, *, region_lookup: str
) -> QuerySet[M]:
    """Keep the rows whose region (via `region_lookup`, e.g. "locations__region") lies in a
    municipality `user` may see. Distinct, because one participant may have several matches."""
    if is_national(user):
        return queryset
    regions = municipalities_in_scope(user).exclude(region=None).values("region_id")
    return queryset.filter(**{f"{region_lookup}__in": regions}).distinct()


def restrict_to_organisations(
    queryset: QuerySet[M], user: StaffUser, *, organisation_lookup: str
) -> QuerySet[M]:
    """Keep the rows owned (via `organisation_lookup`) by an organisation `user` may see."""
    if is_national(user):
        return queryset
    return queryset.filter(**{f"{organisation_lookup}__in": organisations_in_scope(user)})
