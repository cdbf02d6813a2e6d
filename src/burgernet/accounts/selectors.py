"""Reads for organisations and staff, always scoped to what the acting staff member may see."""

from __future__ import annotations

from django.db.models import Count, Prefetch, QuerySet

from burgernet.accounts.models import Organisation, StaffUser
from burgernet.accounts.scoping import organisations_in_scope


def organisation_list(*, user: StaffUser) -> QuerySet[Organisation]:
    """The organisations `user` may see, with their parent and number of staff."""
    return (
        organisations_in_scope(user)
        .select_related("parent")
        .annotate(staff_count=Count("staff"))
        .order_by("kind", "name")
    )


def organisation_get(*, user: StaffUser, organisation_id: int) -> Organisation:
    """One organisation in `user`'s scope, with its children in scope and its staff.

    Raises Organisation.DoesNotExist for an organisation outside the scope, exactly as for one
    that does not exist, so a view answers 404 and reveals nothing.
    """
    in_scope = organisations_in_scope(user)
    return (
        in_scope.select_related("parent", "region")
        .prefetch_related(
            Prefetch(
                "children", queryset=in_scope.order_by("kind", "name"), to_attr="visible_children"
            ),
            Prefetch(
                "staff",
                queryset=StaffUser.objects.filter(is_active=True).order_by(
                    "last_name", "first_name", "username"
                ),
                to_attr="active_staff",
            ),
        )
        .get(pk=organisation_id)
    )


def organisation_parent_visible(*, user: StaffUser, organisation: Organisation) -> bool:
    """Whether `user` may open the parent of `organisation` (to link to it or not)."""
    return (
        organisation.parent_id is not None
        and organisations_in_scope(user).filter(pk=organisation.parent_id).exists()
    )


def staff_list(*, user: StaffUser) -> QuerySet[StaffUser]:
    """Staff members of the organisations `user` may see."""
    return (
        StaffUser.objects.filter(organisation__in=organisations_in_scope(user))
        .select_related("organisation")
        .order_by("organisation__name", "last_name", "first_name", "username")
    )
