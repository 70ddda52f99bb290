import { main } from './main.js';

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`auditready: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 2;
  },
);
