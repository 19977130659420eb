"""The feature rule: a command that needs a feature is refused while the organization has it off
(:func:`tenantry.domain.features.require_feature`)."""

from __future__ import annotations

import pytest

from tenantry.application.app import Tenantry
from tenantry.domain.errors import FailedPrecondition, UnknownFeature
from tenantry.domain.feature_errors import FeatureDisabled
from tenantry.domain.features import is_enabled, require_feature
from tenantry.domain.organization import Organization
from tenantry.domain.values import Feature
from tests.unit.helpers import org_uuid


def organization(app: Tenantry, org_id: str) -> Organization:
    org = app.repository.get(org_uuid(org_id))
    assert isinstance(org, Organization)
    return org


@pytest.mark.parametrize("feature", ["sso", "dir_sync", Feature.SSO])
def test_a_feature_never_turned_on_is_required_in_vain(app: Tenantry, feature: str) -> None:
    org = app.create_organization("Acme")
    with pytest.raises(FeatureDisabled) as refused:
        require_feature(organization(app, org.id), feature)
    assert isinstance(refused.value, FailedPrecondition)
    assert refused.value.details == {"organization_id": org.id, "feature": str(feature)}
    assert refused.value.code == "feature_disabled"
    assert repr(str(feature)) in refused.value.message


def test_a_feature_turned_on_passes_and_turned_off_again_is_refused(app: Tenantry) -> None:
    org = app.create_organization("Acme")
    app.update_organization_settings(org.id, {"sso": True})
    require_feature(organization(app, org.id), "sso")
    assert is_enabled(organization(app, org.id), Feature.SSO)
    with pytest.raises(FeatureDisabled):
        require_feature(organization(app, org.id), "dir_sync")  # each feature on its own

    app.update_organization_settings(org.id, {"sso": False})
    with pytest.raises(FeatureDisabled):
        require_feature(organization(app, org.id), "sso")


def test_an_unknown_feature_is_an_invalid_argument(app: Tenantry) -> None:
    org = app.create_organization("Acme")
    with pytest.raises(UnknownFeature):
        require_feature(organization(app, org.id), "telepathy")
