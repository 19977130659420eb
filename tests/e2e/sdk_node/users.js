// The official Node SDK's user calls (@scalekit-sdk/node, `scalekit.user`) against
// `tenantry serve --http2`: create a user and membership (the profile as the SDK sends it:
// firstName/lastName), list the organization's users page by page, and the refusal at the
// seat limit. ORGANIZATION_ID names an organization with two seats, set up by the test.
// Prints one JSON document of what it saw; tests/e2e/test_sdk_node_users.py checks it.
const { scalekit, refusal, run } = require('./support');

const organizationId = process.env.ORGANIZATION_ID;

async function main() {
  const seen = {};
  const made = await scalekit.user.createUserAndMembership(organizationId, {
    email: 'ada@example.com',
    externalId: 'ada',
    metadata: { team: 'math' },
    userProfile: { firstName: 'Ada', lastName: 'Lovelace' },
    sendInvitationEmail: false,
  });
  const user = made.user;
  seen.created = {
    id: user.id,
    email: user.email,
    externalId: user.externalId,
    metadata: user.metadata,
    firstName: user.userProfile.firstName,
    givenName: user.userProfile.givenName,
    familyName: user.userProfile.familyName,
    organizationId: user.memberships[0].organizationId,
    status: user.memberships[0].membershipStatus,
  };
  await scalekit.user.createUserAndMembership(organizationId, { email: 'grace@example.com' });

  const emails = [];
  let pageToken;
  let pages = 0;
  let total = 0;
  do {
    const page = await scalekit.user.listOrganizationUsers(organizationId, { pageSize: 1, pageToken });
    emails.push(...page.users.map((u) => u.email));
    total = page.totalSize;
    pageToken = page.nextPageToken || undefined;
    pages += 1;
  } while (pageToken);
  seen.list = { pages, total, emails: emails.sort() };

  seen.seatLimit = await refusal(() =>
    scalekit.user.createUserAndMembership(organizationId, { email: 'late@example.com' }));
  const after = await scalekit.user.listOrganizationUsers(organizationId);
  seen.afterRefusal = after.totalSize;
  console.log(JSON.stringify(seen));
}

run(main);
