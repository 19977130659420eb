// The official Node SDK (@scalekit-sdk/node) against `tenantry serve --http2`: the guide's
// organization samples as printed (URL and credentials from the environment), then each call
// and its refusals. Prints one JSON document of what it saw; tests/e2e/test_sdk_node.py checks it.
const { scalekit, refusal, run } = require('./support');

async function main() {
  const seen = {};
  // The guide, "Create an organization" (Node.js), verbatim.
  const organization = await scalekit.organization.createOrganization('Acme Corporation', {
    externalId: 'acme-corp-123',
  });

  console.log('Organization created:', organization.id);
  const created = organization.organization;
  seen.created = { id: created.id, displayName: created.displayName, externalId: created.externalId };

  // The guide, "Update organization details" (Node.js), its placeholder id replaced.
  const updatedOrganization = await scalekit.organization.updateOrganization(
    created.id,
    {
      displayName: 'Acme Corporation Ltd',
      metadata: {
        plan: 'enterprise',
        paymentMethod: 'stripe',
        customField: 'custom-value'
      }
    }
  );
  seen.updated = {
    displayName: updatedOrganization.organization.displayName,
    metadata: updatedOrganization.organization.metadata,
  };

  const byExternal = await scalekit.organization.getOrganizationByExternalId('acme-corp-123');
  seen.byExternalId = byExternal.organization.id;
  const renamed = await scalekit.organization.updateOrganizationByExternalId('acme-corp-123', {
    displayName: 'Acme by external id',
  });
  seen.renamed = renamed.organization.displayName;

  for (let i = 0; i < 11; i++) {
    await scalekit.organization.createOrganization(`Paged ${i}`);
  }
  const ids = [];
  let pageToken;
  let pages = 0;
  let total = 0;
  do {
    const page = await scalekit.organization.listOrganization({ pageSize: 10, pageToken });
    ids.push(...page.organizations.map((o) => o.id));
    total = page.totalSize;
    pageToken = page.nextPageToken || undefined;
    pages += 1;
  } while (pageToken);
  seen.list = { pages, total, ids: ids.length, distinct: new Set(ids).size };

  seen.taken = await refusal(() =>
    scalekit.organization.createOrganization('Other', { externalId: 'acme-corp-123' }));
  seen.invalid = await refusal(() => scalekit.organization.createOrganization(''));
  // A service tenantry does not serve; the calls after it share its HTTP/2 connection.
  seen.unimplemented = await refusal(() => scalekit.m2m.listOrganizationClients(created.id));

  await scalekit.organization.deleteOrganization(created.id);
  seen.notFound = await refusal(() => scalekit.organization.getOrganization(created.id));
  console.log(JSON.stringify(seen));
}

run(main);
