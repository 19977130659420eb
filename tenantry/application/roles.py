"""Roles and permissions: role definitions of the environment and of each organization, the
default role of new members, deleting a role (its holders move to another), and a member's
roles and effective permissions.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any, TypedDict, Unpack, get_type_hints
from uuid import UUID

from tenantry.application import dto
from tenantry.application.kernel import command
from tenantry.application.role_reassignment import DEFAULT_BATCH_SIZE, RoleReassignment
from tenantry.domain import arguments, ids, role_values, values
from tenantry.domain.base import Act
from tenantry.domain.errors import InvalidField, MembershipNotFound
from tenantry.domain.membership import Membership
from tenantry.domain.role_scope import RoleScope
from tenantry.domain.role_values import RoleDefinition
from tenantry.domain.roles import RoleBook
from tenantry.domain.user import parse_user_reference


class RoleFields(TypedDict, total=False):
    """A new role's fields: ``display_name`` (default: the name), ``description``,
    ``extends`` (the role whose permissions it inherits) and ``permissions``."""

    display_name: str | None
    description: str | None
    extends: str | None
    permissions: Iterable[str] | None


class RoleChanges(TypedDict, total=False):
    """The fields of a role an update changes (``extends=None``: it extends none)."""

    display_name: str
    description: str | None
    extends: str | None
    permissions: Iterable[str]


_Change = Callable[[RoleBook, RoleBook | None, Act], str]
"""A change of a role book (given the environment's, for an organization's): the role's name."""


class Roles(RoleReassignment):
    """Role definitions' use cases."""

    # --- environment roles ---------------------------------------------------------------------

    @command
    def create_role(
        self,
        name: str,
        *,
        actor: str = "system",
        reason: str | None = None,
        on_behalf_of: str | None = None,
        **fields: Unpack[RoleFields],
    ) -> dto.Role:
        """Defines an environment role, visible in every organization. ``extends`` names the
        role whose permissions it inherits; ``display_name`` defaults to ``name``."""
        role = _definition(name, fields)
        return self._define_role(None, role, values.actor(actor), values.reason(reason))

    def get_role(self, name: str) -> dto.Role:
        return self._show_role(None, role_values.role_name(name))

    def list_roles(self) -> list[dto.Role]:
        """The environment's roles, by name (``admin`` and ``member`` are built in)."""
        return self._list_roles(None)

    @command
    def update_role(
        self,
        name: str,
        *,
        actor: str = "system",
        reason: str | None = None,
        on_behalf_of: str | None = None,
        **changes: Unpack[RoleChanges],
    ) -> dto.Role:
        """Changes an environment role; only the fields given change (``extends=None``: none)."""
        checked = _changes(changes)
        return self._update_role(None, name, checked, values.actor(actor), values.reason(reason))

    @command
    def change_role_permissions(
        self,
        name: str,
        *,
        add: Iterable[str] | None = None,
        remove: Iterable[str] | None = None,
        actor: str = "system",
        reason: str | None = None,
        on_behalf_of: str | None = None,
    ) -> dto.Role:
        """Adds ``add`` to an environment role's own permissions and takes ``remove`` away, in
        one change of its book (those it has besides stay, whatever changed them since)."""
        role = role_values.role_name(name)
        added = role_values.permissions(add, "add")
        removed = set(role_values.permissions(remove, "remove"))

        def change(book: RoleBook, environment: RoleBook | None, act: Act) -> str:
            current = book.get(role)
            kept = [p for p in [*current.permissions, *added] if p not in removed]
            permissions = role_values.permissions(kept)
            book.update(current.model_copy(update={"permissions": permissions}), act, environment)
            return role

        return self._change_role_book(None, change, values.actor(actor), values.reason(reason))

    @command
    def delete_role(
        self,
        name: str,
        *,
        reassign_to: str,
        actor: str = "system",
        reason: str | None = None,
        on_behalf_of: str | None = None,
        batch_size: int = DEFAULT_BATCH_SIZE,
    ) -> dto.RoleDeletion:
        """Deletes an environment role; every membership holding it then holds ``reassign_to``
        (changed in batches of ``batch_size``, each its own transaction)."""
        return self._delete_role(None, name, reassign_to, actor, reason, batch_size)

    @command
    def set_default_role(
        self,
        name: str,
        *,
        organization_id: str | None = None,
        actor: str = "system",
        reason: str | None = None,
        on_behalf_of: str | None = None,
    ) -> dto.Role:
        """Sets the role new members get when admitted without roles: the environment's, or
        with ``organization_id`` that organization's (an environment role or its own)."""
        org = None if organization_id is None else self._org(organization_id, for_update=False).id
        role = role_values.role_name(name)

        def change(book: RoleBook, environment: RoleBook | None, act: Act) -> str:
            book.set_default(role, act, environment)
            return role

        return self._change_role_book(org, change, values.actor(actor), values.reason(reason))

    def get_default_role(self, organization_id: str | None = None) -> dto.Role:
        """The role a newcomer admitted without roles gets: the environment's default, or with
        ``organization_id`` that organization's (its own default, else the environment's)."""
        if organization_id is None:
            book, _ = self._role_book(None)
            scope = RoleScope(book, None, True)
        else:
            scope = self._role_scope(self._org(organization_id, for_update=False).id)
        return self._present_role(scope, scope.default_role())

    # --- organization roles --------------------------------------------------------------------

    @command
    def create_organization_role(
        self,
        organization_id: str,
        name: str,
        *,
        actor: str = "system",
        reason: str | None = None,
        on_behalf_of: str | None = None,
        **fields: Unpack[RoleFields],
    ) -> dto.Role:
        """Defines a role of one organization; it may extend an environment role."""
        org = self._org(organization_id, for_update=False).id
        role = _definition(name, fields)
        return self._define_role(org, role, values.actor(actor), values.reason(reason))

    def get_organization_role(self, organization_id: str, name: str) -> dto.Role:
        org = self._org(organization_id, for_update=False).id
        return self._show_role(org, role_values.role_name(name))

    def list_organization_roles(self, organization_id: str) -> list[dto.Role]:
        """The organization's own roles, by name (the environment's are :meth:`list_roles`)."""
        return self._list_roles(self._org(organization_id, for_update=False).id)

    @command
    def update_organization_role(
        self,
        organization_id: str,
        name: str,
        *,
        actor: str = "system",
        reason: str | None = None,
        on_behalf_of: str | None = None,
        **changes: Unpack[RoleChanges],
    ) -> dto.Role:
        org = self._org(organization_id, for_update=False).id
        checked = _changes(changes)
        return self._update_role(org, name, checked, values.actor(actor), values.reason(reason))

    @command
    def delete_organization_role(
        self,
        organization_id: str,
        name: str,
        *,
        reassign_to: str,
        actor: str = "system",
        reason: str | None = None,
        on_behalf_of: str | None = None,
        batch_size: int = DEFAULT_BATCH_SIZE,
    ) -> dto.RoleDeletion:
        org = self._org(organization_id, for_update=False).id
        return self._delete_role(org, name, reassign_to, actor, reason, batch_size)

    # --- a member's roles ----------------------------------------------------------------------

    def list_user_roles(self, organization_id: str, user: str) -> list[dto.Role]:
        """The roles a member (``user``: a ``usr_`` id or an e-mail) holds in the
        organization, with their definitions."""
        scope, membership = self._member_role_scope(organization_id, user)
        held = membership.state.roles
        return [self._present_role(scope, r.definition.name) for r in scope.resolve(held)]

    def list_user_permissions(self, organization_id: str, user: str) -> list[str]:
        """A member's effective permissions: the closure of their roles over ``extends``."""
        scope, membership = self._member_role_scope(organization_id, user)
        return scope.closure(membership.state.roles)

    # --- shared steps --------------------------------------------------------------------------

    def _member_role_scope(self, organization_id: str, user: str) -> tuple[RoleScope, Membership]:
        org = self._org(organization_id, for_update=False)
        membership = self._get(
            ids.membership_uuid(org.id, parse_user_reference(user)), Membership, for_update=False
        )
        if membership is None or membership.state.status is None:
            raise MembershipNotFound(organization_id, user)
        return self._role_scope(org.id), membership

    def _role_books_of(
        self, org: UUID | None, act: Act | None, *, for_update: bool
    ) -> tuple[RoleBook, RoleBook | None]:
        """The book of the scope (to change) and, for an organization, the environment's."""
        environment, _ = self._role_book(None, act, for_update=for_update and org is None)
        if org is None:
            return environment, None
        book, _ = self._role_book(org, act, for_update=for_update)
        return book, environment

    def _define_role(
        self, org: UUID | None, role: RoleDefinition, who: str, why: str | None
    ) -> dto.Role:
        def change(book: RoleBook, environment: RoleBook | None, act: Act) -> str:
            book.define(role, act, environment)
            return role.name

        return self._change_role_book(org, change, who, why)

    def _update_role(
        self, org: UUID | None, name: str, changes: dict[str, Any], who: str, why: str | None
    ) -> dto.Role:
        role_name = role_values.role_name(name)

        def change(book: RoleBook, environment: RoleBook | None, act: Act) -> str:
            book.update(book.get(role_name).model_copy(update=changes), act, environment)
            return role_name

        return self._change_role_book(org, change, who, why)

    def _change_role_book(
        self, org: UUID | None, change: _Change, who: str, why: str | None
    ) -> dto.Role:
        """Loads the scope's book (opening it if it is new), applies ``change`` (given the
        environment's book for an organization's) and saves it; the role ``change`` names,
        as it then is."""

        def command() -> dto.Role:
            book, environment = self._role_books_of(org, Act(self.now(), who, why), for_update=True)
            name = change(book, environment, Act(self.now(book, environment), who, why))
            self._save(book)
            return self._present_role(self._scope_of_books(book, environment), name)

        return self.run_command(command)

    def _delete_role(
        self,
        org: UUID | None,
        name: str,
        reassign_to: str,
        actor: str,
        reason: str | None,
        batch_size: int,
    ) -> dto.RoleDeletion:
        role = role_values.role_name(name)
        target = role_values.role_name(reassign_to, "reassign_to")
        if arguments.whole_number(batch_size, "batch_size") < 1:
            raise InvalidField("batch_size", "must be at least 1")
        who, why = values.actor(actor), values.reason(reason)
        why = why or f"role {role!r} deleted; its holders now hold {target!r}"

        def command() -> Act:
            opened = Act(self.now(), who, why)  # a book deleted from before it was stored
            book, environment = self._role_books_of(org, opened, for_update=True)
            act = Act(self.now(book), who, why)
            book.delete(role, target, act, environment)
            self._save(book)
            return act

        act = self.run_command(command)
        moved = self._reassign_holders(org, role, target, act, batch_size)
        return dto.RoleDeletion(name=role, reassigned_to=target, memberships_reassigned=moved)

    def _show_role(self, org: UUID | None, name: str) -> dto.Role:
        book, environment = self._role_books_of(org, None, for_update=False)
        return self._role_of(book, book.get(name), self._scope_of_books(book, environment))

    def _list_roles(self, org: UUID | None) -> list[dto.Role]:
        book, environment = self._role_books_of(org, None, for_update=False)
        scope = self._scope_of_books(book, environment)
        return [self._role_of(book, r, scope) for _, r in sorted(book.state.roles.items())]

    @staticmethod
    def _scope_of_books(book: RoleBook, environment: RoleBook | None) -> RoleScope:
        if environment is None:
            return RoleScope(book, None, True)
        return RoleScope(environment, book, True)

    def _present_role(self, scope: RoleScope, name: str) -> dto.Role:
        """The role ``name`` as ``scope`` sees it (a free label: an undefined role)."""
        found = scope.lookup(name)
        if found is None:
            definition = RoleDefinition(name=name, display_name=name)
            return self._role_of(scope.environment, definition, scope)
        return self._role_of(found[0], found[1], scope)

    @staticmethod
    def _role_of(book: RoleBook, role: RoleDefinition, scope: RoleScope) -> dto.Role:
        org = book.state.organization_id
        return dto.Role(
            id=book.role_id(role.name),
            name=role.name,
            display_name=role.display_name,
            description=role.description,
            extends=role.extends,
            permissions=list(role.permissions),
            effective_permissions=scope.closure([role.name]),
            organization_id=None if org is None else ids.encode(ids.ORG, org),
            is_default=book.state.default_role == role.name,
        )


def _definition(name: str, fields: RoleFields) -> RoleDefinition:
    _check_known(fields, RoleFields)
    role = role_values.role_name(name)
    return RoleDefinition(
        name=role,
        display_name=role_values.role_display_name(fields.get("display_name"), role),
        description=role_values.description(fields.get("description")),
        extends=role_values.parent(fields.get("extends")),
        permissions=role_values.permissions(fields.get("permissions")),
    )


def _changes(changes: RoleChanges) -> dict[str, Any]:
    """The fields an update gives, each checked (those not given do not change)."""
    _check_known(changes, RoleChanges)
    out: dict[str, Any] = {}
    if "display_name" in changes:
        out["display_name"] = values.display_name(changes["display_name"])
    if "description" in changes:
        out["description"] = role_values.description(changes["description"])
    if "extends" in changes:
        out["extends"] = role_values.parent(changes["extends"])
    if "permissions" in changes:
        given = changes["permissions"]
        if given is None:
            raise InvalidField("permissions", "must be a list of permissions")
        out["permissions"] = role_values.permissions(given)
    return out


def _check_known(given: Mapping[str, object], fields: type) -> None:
    unknown = sorted(set(given) - set(get_type_hints(fields)))
    if unknown:
        raise InvalidField(unknown[0], "is not a field of a role")
