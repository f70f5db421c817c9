/**
 * Top functions by self time in a V8 CPU profile: `tsx bench/profile-summary.ts <file.cpuprofile> [top]`.
 * `pnpm bench -- --profile` writes the service's profile to `.bench/profiles/` when it stops.
 */
import { readFileSync } from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
}

const [file, topArg] = process.argv.slice(2).filter((a) => a !== '--');
if (!file) throw new Error('usage: tsx bench/profile-summary.ts <file.cpuprofile> [top]');
const profile = JSON.parse(readFileSync(file, 'utf8')) as { nodes: ProfileNode[]; samples: number[] };
const selfHits = new Map<string, number>();
const byId = new Map(profile.nodes.map((n) => [n.id, n]));
for (const sample of profile.samples) {
  const node = byId.get(sample)!;
  const where = node.callFrame.url.replace(/^.*\/(node_modules\/\.pnpm\/[^/]+\/node_modules\/|work\/main\/)/, '');
  const key = `${node.callFrame.functionName || '(anonymous)'} ${where}:${node.callFrame.lineNumber + 1}`;
  selfHits.set(key, (selfHits.get(key) ?? 0) + 1);
}
const total = profile.samples.length;
for (const [key, hits] of [...selfHits].sort((a, b) => b[1] - a[1]).slice(0, Number(topArg ?? 30))) {
  console.log(`${((100 * hits) / total).toFixed(1).padStart(5)}%  ${key}`);
}
