"""Feature toggles that gate behaviour: a command that needs a feature (SSO connections need
``sso``, SCIM directories ``dir_sync``) calls :func:`require_feature` before it records anything;
while the organization has the feature off it is refused with :class:`FeatureDisabled`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from tenantry.domain.errors import UnknownFeature
from tenantry.domain.feature_errors import FeatureDisabled
from tenantry.domain.values import KNOWN_FEATURES, Feature

if TYPE_CHECKING:
    from tenantry.domain.organization import Organization


def is_enabled(organization: Organization, feature: Feature | str) -> bool:
    """Whether the organization has ``feature`` on (a feature never toggled is off)."""
    return organization.state.features.get(_known(feature).value, False)


def require_feature(organization: Organization, feature: Feature | str) -> None:
    """Refuses (:class:`FeatureDisabled`, naming the feature) unless the organization has
    ``feature`` on; an unknown feature name is :class:`UnknownFeature`."""
    if not is_enabled(organization, feature):
        raise FeatureDisabled(organization.public_id, _known(feature).value)


def _known(feature: Feature | str) -> Feature:
    try:
        return Feature(feature)
    except ValueError:
        raise UnknownFeature(str(feature), KNOWN_FEATURES) from None
