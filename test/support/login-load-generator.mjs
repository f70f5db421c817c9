/**
 * Password logins at a fixed concurrency, in a process of its own so the load's client work does
 * not share an event loop with the measuring test. Prints one JSON line: `{logins, statuses}`.
 * Usage: node login-load-generator.mjs <json {url, apiKey, durationMs, loginIds, password}>
 */
const { url, apiKey, durationMs, loginIds, password } = JSON.parse(process.argv[2]);
const statuses = {};
let logins = 0;
const end = Date.now() + durationMs;
await Promise.all(
  loginIds.map(async (loginId) => {
    while (Date.now() < end) {
      const response = await fetch(`${url}/api/login`, {
        method: 'POST',
        headers: { Authorization: apiKey, 'Content-Type': 'application/json' },
        body: JSON.stringify({ loginId, password }),
      });
      await response.arrayBuffer();
      statuses[response.status] = (statuses[response.status] ?? 0) + 1;
      logins += 1;
    }
  }),
);
process.stdout.write(`${JSON.stringify({ logins, statuses })}\n`);
