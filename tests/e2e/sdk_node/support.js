// What the Node SDK test scripts share: a client for the server in the environment
// (SCALEKIT_ENVIRONMENT_URL, SCALEKIT_CLIENT_ID, SCALEKIT_CLIENT_SECRET), a refusal as plain
// data, and a runner that exits non-zero on any unexpected error.
const { ScalekitClient } = require('@scalekit-sdk/node');

const scalekit = new ScalekitClient(
  process.env.SCALEKIT_ENVIRONMENT_URL,
  process.env.SCALEKIT_CLIENT_ID,
  process.env.SCALEKIT_CLIENT_SECRET,
);

async function refusal(call) {
  try {
    await call();
    return null;
  } catch (e) {
    return { name: e.constructor.name, errorCode: e.errorCode, grpcStatus: e.grpcStatus, message: e.message };
  }
}

function run(main) {
  main().catch((e) => {
    console.error(e);
    process.exit(1);
  });
}

module.exports = { scalekit, refusal, run };
