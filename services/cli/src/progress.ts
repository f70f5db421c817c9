/** A one-line progress bar on stderr with rate and ETA (plain lines when stderr is not a terminal). */
export function progressReporter(label: string, stream: NodeJS.WriteStream = process.stderr): (done: number, total: number) => void {
  const started = Date.now();
  let lastPrinted = 0;
  return (done, total) => {
    const now = Date.now();
    if (done < total && now - lastPrinted < (stream.isTTY ? 200 : 2_000)) return;
    lastPrinted = now;
    const fraction = total > 0 ? Math.min(1, done / total) : 1;
    const seconds = Math.max((now - started) / 1000, 0.001);
    const rate = done / seconds;
    const eta = rate > 0 && total > done ? (total - done) / rate : 0;
    const width = 30;
    const bar = '#'.repeat(Math.round(fraction * width)).padEnd(width, '.');
    const line = `${label} [${bar}] ${(fraction * 100).toFixed(1)}% ${Math.round(rate)}/s ETA ${eta.toFixed(0)}s`;
    stream.write(stream.isTTY ? `\r${line}${done >= total ? '\n' : ''}` : `${line}\n`);
  };
}
