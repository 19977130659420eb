"""The error of a command that needs a feature an organization has turned off
(:func:`tenantry.domain.features.require_feature`)."""

from __future__ import annotations

from tenantry.domain.errors import FailedPrecondition

__all__ = ["FeatureDisabled"]


class FeatureDisabled(FailedPrecondition):
    """Raised when a command needs a feature (``sso``, ``dir_sync``, …) that the organization's
    ``settings.features`` has off."""

    code = "feature_disabled"

    def __init__(self, organization_id: str, feature: str) -> None:
        super().__init__(
            f"organization {organization_id!r} has the {feature!r} feature off; turn it on in "
            f"settings.features first"
        )
        self.organization_id = organization_id
        self.feature = feature
