import { main } from './main.js';

// Until main() settles the exit code says "error": a run that stops before its verdict (the event
// loop emptied while something was still awaited) must never look like a clean one.
process.exitCode = 2;
let settled = false;
process.on('exit', () => {
  if (!settled) process.stderr.write('auditready: stopped before finishing (internal error): no verdict\n');
});
main(process.argv.slice(2)).then(
  (code) => {
    settled = true;
    process.exitCode = code;
  },
  (err: unknown) => {
    settled = true;
    process.stderr.write(`auditready: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 2;
  },
);
