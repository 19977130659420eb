// The official Node SDK (@scalekit-sdk/node) against `tenantry serve --http2` over h2c: an
// organization's directories, its primary one, and the users its SCIM client provisioned, page by
// page; then those changed after a time (updatedAfter), and a bad time refused. The organization,
// the directory and the time come from the environment (ORGANIZATION_ID, DIRECTORY_ID,
// UPDATED_AFTER). Prints one JSON document of what it saw;
// tests/e2e/test_sdk_node_directories.py checks it.
const { scalekit, run } = require('./support');

const organizationId = process.env.ORGANIZATION_ID;
const directoryId = process.env.DIRECTORY_ID;

async function main() {
  const seen = {};
  const listed = await scalekit.directory.listDirectories(organizationId);
  seen.directories = listed.directories.map((d) => ({
    id: d.id,
    enabled: d.enabled,
    endpoint: d.directoryEndpoint,
  }));
  seen.primary = (await scalekit.directory.getPrimaryDirectoryByOrganizationId(organizationId)).id;

  seen.pages = [];
  let pageToken;
  do {
    const page = await scalekit.directory.listDirectoryUsers(organizationId, directoryId, {
      pageSize: 1,
      pageToken,
    });
    seen.pages.push({ total: page.totalSize, emails: page.users.map((u) => u.email) });
    pageToken = page.nextPageToken;
  } while (pageToken);

  const changed = await scalekit.directory.listDirectoryUsers(organizationId, directoryId, {
    updatedAfter: process.env.UPDATED_AFTER,
  });
  seen.changed = { total: changed.totalSize, emails: changed.users.map((u) => u.email) };

  try {
    await scalekit.directory.listDirectoryUsers(organizationId, directoryId, {
      updatedAfter: '+275760-09-13T00:00:00.000Z', // past what a Timestamp holds
    });
    seen.refused = null;
  } catch (e) {
    seen.refused = { name: e.constructor.name, errorCode: e.errorCode, message: e.message };
  }
  console.log(JSON.stringify(seen));
}

run(main);
