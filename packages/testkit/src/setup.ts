/**
 * Server URLs (REDIS_URL in CI, the others with docker compose) are meant for the suites that ask for
 * them through `describeWithServer`, not for every service a test starts. Left in the environment, a
 * spawned service process would inherit REDIS_URL and share one BullMQ prefix with every other test's
 * service (and take its jobs). They move to IDSTREAM_TEST_<VAR> before any test file runs.
 */
import { serverVariables } from './index.js';

for (const name of serverVariables) {
  const value = process.env[name];
  if (value !== undefined) {
    process.env[`IDSTREAM_TEST_${name}`] = value;
    delete process.env[name];
  }
}
