// What one hostile request string costs the redaction detectors: adversarial 64 KB strings built
// from each pattern's own pieces, timed through redactBody (the walk every entry takes) and beside
// a plain scan of the same strings (a loop reading every character) in the same run.
// Issue #13: a request costs any client linear, bounded time.   node bench/hostile.bench.mjs
import { compileRedaction, redactBody } from '@auditready/core';

const N = 64 * 1024;
const FAMILIES = {
  '? x n + =': `/x?${'?'.repeat(N)}=`,
  '-eyJ x n': '-eyJ'.repeat(N / 4),
  'a. x n + ://x:y… (no @)': `${'a.'.repeat(N / 4)}://x:${'y'.repeat(N / 2)}`,
  'Bearer x n': 'Bearer '.repeat(N / 7),
  'digits and spaces': '1 '.repeat(N / 2),
  'BEGIN PRIVATE KEY x n': '-----BEGIN RSA PRIVATE KEY-----'.repeat(N / 31),
  'plain text': 'lorem ipsum '.repeat(N / 12),
};
const redaction = compileRedaction({ maxStringLength: N * 2, maxFieldChars: N * 4 });

function best(fn, runs = 7) {
  let min = Number.POSITIVE_INFINITY;
  for (let i = 0; i < runs; i++) {
    const t0 = process.hrtime.bigint();
    fn();
    min = Math.min(min, Number(process.hrtime.bigint() - t0) / 1e6);
  }
  return min;
}

console.log(`adversarial strings of ${N / 1024} KB in a path and a details field; node ${process.version}`);
console.log(`${'family'.padEnd(28)} ${'redactBody ms'.padStart(14)} ${'plain scan ms'.padStart(14)}  ratio`);
for (const [name, s] of Object.entries(FAMILIES)) {
  const walk = best(() => redactBody({ action: 'a', actor: { type: 'anonymous' }, http: { path: s }, details: { note: s } }, redaction));
  const scan = best(() => {
    let sum = 0;
    for (let k = 0; k < 2; k++) for (let i = 0; i < s.length; i++) sum += s.charCodeAt(i);
    if (sum < 0) throw new Error('unreachable');
  });
  console.log(
    `${name.padEnd(28)} ${walk.toFixed(2).padStart(14)} ${scan.toFixed(3).padStart(14)}  x${(walk / Math.max(scan, 0.001)).toFixed(0)}`,
  );
}
