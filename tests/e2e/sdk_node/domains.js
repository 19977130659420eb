// The official Node SDK's domain and connection calls against `tenantry serve --http2` (h2c):
// create, get, list and delete a domain; list an organization's connections and the connections
// of a verified domain (both prepared by the test over REST: SSO_ORGANIZATION_ID, SSO_DOMAIN),
// and create one. Prints one JSON document of what it saw; test_sdk_node_domains.py checks it.
const { scalekit, refusal, run } = require('./support');
const { ConnectionProvider, ConnectionType } = require(
  '@scalekit-sdk/node/lib/pkg/grpc/scalekit/v1/connections/connections_pb',
);

const orgId = process.env.SSO_ORGANIZATION_ID;

async function main() {
  const seen = {};
  const created = (await scalekit.domain.createDomain(orgId, 'node.example')).domain;
  seen.created = { id: created.id, domain: created.domain, status: created.verificationStatus };
  seen.got = (await scalekit.domain.getDomain(orgId, created.id)).domain.domain;
  seen.listed = (await scalekit.domain.listDomains(orgId)).domains.map((d) => d.domain).sort();
  seen.taken = await refusal(() => scalekit.domain.createDomain(orgId, 'node.example'));
  await scalekit.domain.deleteDomain(orgId, created.id);
  seen.deleted = await refusal(() => scalekit.domain.getDomain(orgId, created.id));

  const byOrg = await scalekit.connection.listConnections(orgId);
  seen.byOrg = byOrg.connections.map((c) => ({ id: c.id, enabled: c.enabled }));
  const byDomain = await scalekit.connection.listConnectionsByDomain(process.env.SSO_DOMAIN);
  seen.byDomain = byDomain.connections.map((c) => ({ id: c.id, organizationId: c.organizationId }));
  const made = await scalekit.connection.createConnection(orgId, {
    type: ConnectionType.OIDC,
    provider: ConnectionProvider.OKTA,
  });
  seen.made = { type: ConnectionType[made.connection.type], enabled: made.connection.enabled };
  console.log(JSON.stringify(seen));
}

run(main);
