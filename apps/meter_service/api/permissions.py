"""Who may call which API operation.

Only the checks are here; what they check lives in :mod:`apps.meter_service.permissions`
(roles and record rules) and in the model permissions that fixtures/0001_roles.json gives each
role's group. Which claims a caller sees is always the record rules' answer, through the
claim selectors.
"""

from __future__ import annotations

from rest_framework.permissions import BasePermission

from apps.meter_service.doctype.claim.models import Channel
from apps.meter_service.doctype.complaint.models import ComplaintChannel
from apps.meter_service.permissions import Role, has_role

# The roles that file claims through the API, in the order that decides the channel of a
# user holding more than one, and the channel each files on. The IVR's status account files
# nothing: it only looks statuses up; an IVR that takes claims calls with a call-centre
# operator's account, on the phone channel. Other desk roles use the API read-only.
FILING_CHANNELS: dict[str, Channel] = {
    Role.COUNTER_OFFICE_OPERATOR: Channel.COUNTER_OFFICE,
    Role.AGENCY_CLIENT: Channel.AGENCY,
    Role.CALL_CENTRE_OPERATOR: Channel.PHONE,
    Role.SUBSCRIBER: Channel.WEB,
}

VIEW_CLAIM = "meter_service.view_claim"
ADD_CLAIM = "meter_service.add_claim"
# Given (in fixtures/0001_roles.json it is defined, not granted) to the IVR's API user: it
# may read the status of any claim by tracking code, and nothing personal about it.
VIEW_ANY_CLAIM_STATUS = "meter_service.view_claim_status"
# The call centre files on the phone channel with a permission of its own (it may not add
# claims in person at the desk).
FILE_PHONE_CLAIM = "meter_service.file_phone_claim"

# Complaints come through the API from the complainants' side only: a sending system (the
# national complaints system, 3194, is an agency) or a subscriber. Staff use the desk.
COMPLAINT_CHANNELS: dict[str, ComplaintChannel] = {
    Role.AGENCY_CLIENT: ComplaintChannel.NATIONAL_SYSTEM,
    Role.SUBSCRIBER: ComplaintChannel.PORTAL,
}
VIEW_COMPLAINT = "meter_service.view_complaint"
ADD_COMPLAINT = "meter_service.add_complaint"


def filing_channel(user) -> Channel | None:
    """Return the channel the user files claims on through the API, or None."""
    for role, channel in FILING_CHANNELS.items():
        if has_role(user, role):
            return channel
    return None


def complaint_channel(user) -> ComplaintChannel | None:
    """Return the channel the user files complaints on through the API, or None."""
    for role, channel in COMPLAINT_CHANNELS.items():
        if has_role(user, role):
            return channel
    return None


def may_look_up_any_status(user) -> bool:
    """Return True when the user may read the status of any claim by its tracking code."""
    return user.has_perm(VIEW_ANY_CLAIM_STATUS)


class CanViewClaims(BasePermission):
    """The caller's role may view claims (which ones is the record rules' business)."""

    def has_permission(self, request, view) -> bool:
        return request.user.has_perm(VIEW_CLAIM)


class CanFileClaims(BasePermission):
    """The caller files claims on a channel of its own and its role may add claims.

    The IVR's account (the one that may look up any status) files nothing.
    """

    def has_permission(self, request, view) -> bool:
        user = request.user
        channel = filing_channel(user)
        needed = FILE_PHONE_CLAIM if channel == Channel.PHONE else ADD_CLAIM
        return channel is not None and user.has_perm(needed) and not may_look_up_any_status(user)


class CanActOnFiledClaims(CanFileClaims):
    """The caller files claims and may cancel or pay the ones it sees, except the call
    centre: filing a caller's claim by phone is no right to cancel or pay anyone's claim."""

    def has_permission(self, request, view) -> bool:
        return super().has_permission(request, view) and (
            filing_channel(request.user) != Channel.PHONE
        )


class CanLookUpClaimStatus(BasePermission):
    """The caller may view claims, or may look up any claim's status (the IVR)."""

    def has_permission(self, request, view) -> bool:
        return request.user.has_perm(VIEW_CLAIM) or may_look_up_any_status(request.user)


class CanViewComplaints(BasePermission):
    """The caller's role may view complaints (which ones is the record rules' business).

    The IVR's account is an agency client too, but only reads claim statuses.
    """

    def has_permission(self, request, view) -> bool:
        user = request.user
        return user.has_perm(VIEW_COMPLAINT) and not may_look_up_any_status(user)


class CanFileComplaints(BasePermission):
    """The caller complains on a channel of its own (and replies); its role may add them."""

    def has_permission(self, request, view) -> bool:
        user = request.user
        return (
            complaint_channel(user) is not None
            and user.has_perm(ADD_COMPLAINT)
            and not may_look_up_any_status(user)
        )
