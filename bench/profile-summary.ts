/**
 * Top functions by self time in a V8 CPU profile: `tsx bench/profile-summary.ts <file.cpuprofile> [top] [--inclusive]`.
 * `--inclusive` ranks by time in the function and everything it called (each function counted once
 * per sample, however deep its recursion), as a share of the busy (non-idle) samples.
 * `pnpm bench -- --profile` writes the service's profile to `.bench/profiles/` when it stops.
 */
import { readFileSync } from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
  children?: number[];
}

const inclusive = process.argv.includes('--inclusive');
const [file, topArg] = process.argv.slice(2).filter((a) => !a.startsWith('--'));
if (!file) throw new Error('usage: tsx bench/profile-summary.ts <file.cpuprofile> [top]');
const profile = JSON.parse(readFileSync(file, 'utf8')) as { nodes: ProfileNode[]; samples: number[] };
const selfHits = new Map<string, number>();
const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const parentOf = new Map<number, number>();
for (const node of profile.nodes) for (const child of node.children ?? []) parentOf.set(child, node.id);
const keyOf = (node: ProfileNode) => {
  const where = node.callFrame.url.replace(/^.*\/(node_modules\/\.pnpm\/[^/]+\/node_modules\/|work\/main\/)/, '');
  return `${node.callFrame.functionName || '(anonymous)'} ${where}:${node.callFrame.lineNumber + 1}`;
};
let total = 0;
for (const sample of profile.samples) {
  const node = byId.get(sample)!;
  if (inclusive && node.callFrame.functionName === '(idle)') continue;
  total++;
  if (!inclusive) {
    selfHits.set(keyOf(node), (selfHits.get(keyOf(node)) ?? 0) + 1);
    continue;
  }
  const onStack = new Set<string>();
  for (let id: number | undefined = sample; id !== undefined; id = parentOf.get(id)) onStack.add(keyOf(byId.get(id)!));
  for (const key of onStack) selfHits.set(key, (selfHits.get(key) ?? 0) + 1);
}
for (const [key, hits] of [...selfHits].sort((a, b) => b[1] - a[1]).slice(0, Number(topArg ?? 30))) {
  console.log(`${((100 * hits) / total).toFixed(1).padStart(5)}%  ${key}`);
}
