// The official Node SDK (@scalekit-sdk/node) against `tenantry serve --http2`: roles created,
// listed and read, and refused. Prints one JSON document of what it saw;
// tests/e2e/test_sdk_node_roles.py checks it.
const { scalekit, refusal, run } = require('./support');


function shown(role) {
  return {
    name: role.name,
    displayName: role.displayName,
    extends: role.extends,
    permissions: role.permissions.map((p) => p.name),
    isOrgRole: role.isOrgRole,
  };
}

async function main() {
  const seen = {};
  const created = await scalekit.role.createRole({
    name: 'content_editor',
    displayName: 'Content Editor',
    description: 'Can create and edit content',
    extends: 'member',
    permissions: ['content:read', 'content:write'],
  });
  seen.created = shown(created.role);
  seen.got = shown((await scalekit.role.getRole('content_editor')).role);
  seen.listed = (await scalekit.role.listRoles()).roles.map((r) => r.name);

  const org = (await scalekit.organization.createOrganization('Roles Inc')).organization;
  await scalekit.role.createOrganizationRole(org.id, { name: 'billing', displayName: 'Billing' });
  seen.orgListed = (await scalekit.role.listOrganizationRoles(org.id)).roles.map(shown);

  seen.taken = await refusal(() =>
    scalekit.role.createRole({ name: 'content_editor', displayName: 'Again' }));
  seen.notFound = await refusal(() => scalekit.role.getRole('no_such_role'));
  console.log(JSON.stringify(seen));
}

run(main);
