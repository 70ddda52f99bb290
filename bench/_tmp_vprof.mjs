import { createReadStream } from 'node:fs';
import { verifyStream } from '@auditready/core/verify';

const file = process.argv[2];
for (let r = 0; r < 3; r++) {
  const t = performance.now();
  const rep = await verifyStream(createReadStream(file, { highWaterMark: 1 << 20 }));
  console.log(rep.valid, rep.entries, ((performance.now() - t) / 1000).toFixed(2), 's');
}
