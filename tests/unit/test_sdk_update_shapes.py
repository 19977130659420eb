"""update_organization(organization=UpdateOrganization(...)): the hosted Python SDK's call shape.

The SDK's message is a protobuf message; the test builds one with the same name and fields
(``display_name``, ``external_id``, ``metadata`` map, ``slug``, ``logo_url``, proto3 optional
strings) from a descriptor, so only the fields a caller set are read, as with the SDK's own.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from google.protobuf import descriptor_pb2, descriptor_pool, message_factory

from tenantry.application.app import Tenantry
from tenantry.domain.errors import InvalidField, NothingChanged


def _update_organization_message() -> Any:
    f = descriptor_pb2.FileDescriptorProto(
        name="tenantry_test_sdk.proto", package="sdk", syntax="proto3"
    )
    msg = f.message_type.add(name="UpdateOrganization")
    entry = msg.nested_type.add(name="MetadataEntry")
    entry.options.map_entry = True
    string = descriptor_pb2.FieldDescriptorProto.TYPE_STRING
    optional = descriptor_pb2.FieldDescriptorProto.LABEL_OPTIONAL
    entry.field.add(name="key", number=1, type=string, label=optional)
    entry.field.add(name="value", number=2, type=string, label=optional)
    for number, name in enumerate(("display_name", "external_id", "slug", "logo_url"), start=1):
        msg.oneof_decl.add(name=f"_{name}")
        msg.field.add(
            name=name,
            number=number,
            type=string,
            label=optional,
            oneof_index=number - 1,
            proto3_optional=True,
        )
    msg.field.add(
        name="metadata",
        number=5,
        type=descriptor_pb2.FieldDescriptorProto.TYPE_MESSAGE,
        label=descriptor_pb2.FieldDescriptorProto.LABEL_REPEATED,
        type_name=".sdk.UpdateOrganization.MetadataEntry",
    )
    pool = descriptor_pool.DescriptorPool()
    pool.Add(f)
    return message_factory.GetMessageClass(pool.FindMessageTypeByName("sdk.UpdateOrganization"))


UpdateOrganization = _update_organization_message()


@dataclass
class UpdateOrganizationRecord:
    display_name: str | None = None
    metadata: dict[str, str] | None = None


def test_a_protobuf_update_changes_only_the_fields_it_sets(app: Tenantry) -> None:
    org = app.create_organization("Acme", external_id="acme-1", slug="acme")
    updated = app.update_organization(
        organization_id=org.id,
        organization=UpdateOrganization(
            display_name="Acme Corporation Ltd",
            metadata={"plan": "enterprise", "payment_method": "stripe"},
        ),
    )
    assert updated.display_name == "Acme Corporation Ltd"
    assert updated.metadata == {"plan": "enterprise", "payment_method": "stripe"}
    assert (updated.external_id, updated.slug) == ("acme-1", "acme")  # not set: unchanged


def test_a_dataclass_or_a_mapping_update_works_alike(app: Tenantry) -> None:
    org = app.create_organization("Acme")
    app.update_organization(org.id, organization=UpdateOrganizationRecord(display_name="Beta"))
    updated = app.update_organization(org.id, organization={"metadata": {"tier": "gold"}})
    assert (updated.display_name, updated.metadata) == ("Beta", {"tier": "gold"})
    with pytest.raises(NothingChanged):
        app.update_organization(org.id, organization={"display_name": "Beta"})


def test_a_bad_update_message_is_refused_naming_the_field(app: Tenantry) -> None:
    org = app.create_organization("Acme")
    with pytest.raises(InvalidField) as unknown:
        app.update_organization(org.id, organization={"owner": "x"})
    assert unknown.value.field == "organization.owner"
    with pytest.raises(InvalidField) as both:
        app.update_organization(org.id, display_name="A", organization={"display_name": "B"})
    assert both.value.field == "display_name"
    with pytest.raises(InvalidField) as wrong:
        app.update_organization(org.id, organization=["display_name"])  # type: ignore[arg-type]
    assert wrong.value.field == "organization"
    with pytest.raises(InvalidField) as bad_value:
        app.update_organization(org.id, organization=UpdateOrganization(display_name=" "))
    assert bad_value.value.field == "display_name"
    assert app.get_organization(org.id).display_name == "Acme"
    assert app.last_position is None  # nothing recorded
