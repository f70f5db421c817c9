import { describe } from 'vitest';

/**
 * Declares a contract suite that needs an external server (KurrentDB, MongoDB, Elasticsearch, Redis).
 * Without the variable set, the suite is reported as skipped and a SKIPPED line names what to set:
 * never silently green. With `IDSTREAM_REQUIRE=<VAR>[,<VAR>]` (CI sets it for REDIS_URL) a missing
 * variable fails the run instead.
 */
export const serverVariables = ['KURRENTDB_URL', 'MONGODB_URL', 'ELASTICSEARCH_URL', 'REDIS_URL'] as const;

/** A server URL given to the test run (the setup file keeps it away from the services tests start). */
export function serverUrl(envVar: string): string | undefined {
  return process.env[envVar] ?? process.env[`IDSTREAM_TEST_${envVar}`];
}

export function describeWithServer(name: string, envVar: string, body: (url: string) => void): void {
  const url = serverUrl(envVar);
  const required = (process.env.IDSTREAM_REQUIRE ?? '').split(',').map((s) => s.trim());
  if (!url) {
    if (required.includes(envVar)) {
      throw new Error(`${name}: ${envVar} is required in this run (IDSTREAM_REQUIRE) but not set`);
    }
    process.stderr.write(`\n*** SKIPPED: ${name} — set ${envVar} to run it against a real server ***\n\n`);
    describe.skip(`${name} [SKIPPED: ${envVar} not set]`, () => body(''));
    return;
  }
  describe(name, () => body(url));
}
