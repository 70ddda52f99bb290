/** A progress line on stderr, only when stderr is a terminal (or forced with --progress). */
export function createProgress(totalBytes: number, enabled: boolean): { update(bytes: number): void; done(): void } {
  if (!enabled) return { update() {}, done() {} };
  const started = performance.now();
  let last = 0;
  const draw = (bytes: number) => {
    const frac = totalBytes > 0 ? Math.min(1, bytes / totalBytes) : 0;
    const width = 30;
    const filled = Math.round(frac * width);
    const secs = (performance.now() - started) / 1000;
    const rate = secs > 0 ? bytes / 1e6 / secs : 0;
    process.stderr.write(
      `\r[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${(frac * 100).toFixed(0).padStart(3)}%  ${(bytes / 1e6).toFixed(1)} MB  ${rate.toFixed(0)} MB/s `,
    );
  };
  return {
    update(bytes) {
      const now = performance.now();
      if (now - last < 100) return;
      last = now;
      draw(bytes);
    },
    done() {
      draw(totalBytes);
      process.stderr.write('\n');
    },
  };
}
