// The official Node SDK (@scalekit-sdk/node) against `tenantry serve --http2`: the guide's
// "Enable organization features" and "Generate Admin Portal link" samples as printed (URL and
// credentials from the environment, the placeholder organization id this server's), then the
// seat limit and the session policy, and refusals. Prints the guide's lines, then one JSON
// document of what it saw; tests/e2e/test_sdk_node.py checks it and the server's state.
const { scalekit, refusal, run } = require('./support');

function enabled(organization) {
  return organization.settings.features.filter((f) => f.enabled).map((f) => f.name).sort();
}

async function main() {
  const seen = {};
  const made = await scalekit.organization.createOrganization('Node Settings Co');
  const created = made.organization;
  seen.id = created.id;

  // The guide, "Enable organization features" (Node.js), its placeholder id replaced.
  const settings = {
    features: [
      {
        name: 'sso',
        enabled: true,
      },
      {
        name: 'dir_sync',
        enabled: true,
      },
    ],
  };

  await scalekit.organization.updateOrganizationSettings(
    created.id,
    settings
  );
  seen.features = enabled((await scalekit.organization.getOrganization(created.id)).organization);

  // The guide, "Generate Admin Portal link" (Node.js), its placeholder id replaced.
  const portalLink = await scalekit.organization.generatePortalLink(created.id);

  // Present this URL to the organization's IT admin or load it in an iframe
  console.log('Admin Portal URL:', portalLink.location);
  seen.portalLink = { id: portalLink.id, location: portalLink.location };

  const seats = await scalekit.organization.upsertUserManagementSettings(created.id, {
    maxAllowedUsers: 7,
  });
  const seatsRead = await scalekit.organization.getOrganizationUserManagementSetting(created.id);
  const cleared = await scalekit.organization.upsertUserManagementSettings(created.id, {
    maxAllowedUsers: null,
  });
  await scalekit.organization.upsertUserManagementSettings(created.id, { maxAllowedUsers: 12 });
  seen.seats = {
    set: seats.maxAllowedUsers,
    read: seatsRead.settings.maxAllowedUsers,
    cleared: cleared.maxAllowedUsers === undefined,
  };

  // The SDK's own example of a custom session policy.
  const policy = await scalekit.organization.updateOrganizationSessionPolicy(created.id, {
    policySource: 'CUSTOM',
    absoluteSessionTimeout: 360,
    absoluteSessionTimeoutUnit: 'MINUTES',
    idleSessionTimeoutEnabled: true,
    idleSessionTimeout: 84,
    idleSessionTimeoutUnit: 'MINUTES',
  });
  const policyRead = await scalekit.organization.getOrganizationSessionPolicy(created.id);
  seen.policy = {
    source: policy.policySource,
    absolute: policy.absoluteSessionTimeout,
    idle: policy.idleSessionTimeout,
    idleEnabled: policy.idleSessionTimeoutEnabled,
    readAbsolute: policyRead.absoluteSessionTimeout,
  };

  seen.unknownFeature = await refusal(() =>
    scalekit.organization.updateOrganizationSettings(created.id, {
      features: [{ name: 'teleport', enabled: true }],
    }));
  seen.negativeSeats = await refusal(() =>
    scalekit.organization.upsertUserManagementSettings(created.id, { maxAllowedUsers: -1 }));
  const gone = (await scalekit.organization.createOrganization('Gone')).organization.id;
  await scalekit.organization.deleteOrganization(gone);
  seen.notFound = await refusal(() => scalekit.organization.generatePortalLink(gone));
  console.log(JSON.stringify(seen));
}

run(main);
