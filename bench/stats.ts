/** Percentiles and the printed table. */

export function percentile(samples: number[], q: number): number {
  if (samples.length === 0) return NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(sorted.length * q) - 1))]!;
}

export interface Row {
  scenario: string;
  case: string;
  /** Main figure (throughput, latency or time) with its unit. */
  value: number;
  unit: string;
  p50Ms?: number;
  p95Ms?: number;
  p99Ms?: number;
  /** The baseline measured in the same run, and value/baseline. */
  baseline?: number;
  baselineLabel?: string;
  ratio?: number;
  target?: string;
  met?: boolean;
  notes?: string;
  [extra: string]: unknown;
}

const fmt = (n: number | undefined, digits = 1) => (n === undefined || Number.isNaN(n) ? '' : n >= 1000 ? Math.round(n).toLocaleString('en-US') : n.toFixed(digits));

export function printHeader(): void {
  console.log(
    ['scenario', 'case', 'value', 'unit', 'p50 ms', 'p95 ms', 'p99 ms', 'baseline', 'ratio', 'target', 'ok'].map((h, i) => h.padEnd([14, 34, 10, 8, 8, 8, 8, 10, 6, 22, 3][i]!)).join(' '),
  );
}

export function printRow(row: Row): void {
  const cells = [
    row.scenario,
    row.case,
    fmt(row.value),
    row.unit,
    fmt(row.p50Ms),
    fmt(row.p95Ms),
    fmt(row.p99Ms),
    fmt(row.baseline),
    row.ratio === undefined ? '' : row.ratio.toFixed(2),
    row.target ?? '',
    row.met === undefined ? '' : row.met ? 'yes' : 'NO',
  ];
  console.log(cells.map((c, i) => String(c).padEnd([14, 34, 10, 8, 8, 8, 8, 10, 6, 22, 3][i]!)).join(' ') + (row.notes ? `  ${row.notes}` : ''));
}

export function progress(message: string): void {
  process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${message}\n`);
}
