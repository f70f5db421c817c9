/** A one-line progress bar on stderr with rate and ETA (plain lines when stderr is not a terminal). */
export interface ProgressOptions {
  /** Shown after the counts ("1200/5000 users"); without it the counts are not shown. */
  unit?: string;
  /** Work already done before this run (a resumed import): counted in the bar, not in the rate. */
  initial?: number;
}

export function progressReporter(
  label: string,
  stream: NodeJS.WriteStream = process.stderr,
  options: ProgressOptions = {},
): (done: number, total: number) => void {
  const started = Date.now();
  const initial = options.initial ?? 0;
  let lastPrinted = 0;
  return (done, total) => {
    const now = Date.now();
    if (done < total && now - lastPrinted < (stream.isTTY ? 200 : 2_000)) return;
    lastPrinted = now;
    const fraction = total > 0 ? Math.min(1, done / total) : 1;
    const seconds = Math.max((now - started) / 1000, 0.001);
    const rate = Math.max(0, done - initial) / seconds;
    const eta = rate > 0 && total > done ? (total - done) / rate : 0;
    const width = 30;
    const bar = '#'.repeat(Math.round(fraction * width)).padEnd(width, '.');
    const counts = options.unit ? ` ${done}/${total} ${options.unit}` : '';
    const line = `${label} [${bar}] ${(fraction * 100).toFixed(1)}%${counts} ${Math.round(rate)}/s ETA ${formatSeconds(eta)}`;
    stream.write(stream.isTTY ? `\r${line}\x1b[K${done >= total ? '\n' : ''}` : `${line}\n`);
  };
}

function formatSeconds(seconds: number): string {
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}
