"""tenantry: an event-sourced organizations (tenants) core for B2B software.

>>> import tenantry
>>> t = tenantry.connect("memory://")
>>> org = t.create_organization("Megasoft", external_id="megasoft-1")
>>> t.get_organization(org.id).display_name
'Megasoft'
"""

from tenantry import dto, errors
from tenantry.adapters.embedded import Embedded, connect
from tenantry.application.app import UNSET, Tenantry
from tenantry.domain.policies import ApplicationPolicy
from tenantry.domain.values import SessionPolicy

__all__ = [
    "UNSET",
    "ApplicationPolicy",
    "Embedded",
    "SessionPolicy",
    "Tenantry",
    "connect",
    "dto",
    "errors",
]
