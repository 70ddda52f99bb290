/**
 * A pack as one file: a POSIX ustar archive, gzipped (readable by `tar xzf`), of a directory's
 * regular files, and the way back. Only what an evidence pack needs: relative paths of at most
 * 100 bytes, regular files, no links.
 */
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { UsageError } from './inputs.js';

function files(dir: string, under = dir): string[] {
  const out: string[] = [];
  for (const d of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, d.name);
    if (d.isDirectory()) out.push(...files(p, under));
    else if (d.isFile()) out.push(relative(under, p));
  }
  return out.sort();
}

function header(name: string, size: number, mtime: number): Buffer {
  const h = Buffer.alloc(512);
  const put = (s: string, at: number, len: number) => h.write(s.slice(0, len), at, 'utf8');
  const octal = (n: number, len: number) => n.toString(8).padStart(len - 1, '0');
  if (Buffer.byteLength(name) > 100) throw new UsageError(`${name}: a path longer than 100 bytes cannot go into the archive`);
  put(name, 0, 100);
  put(octal(0o644, 8), 100, 8);
  put(octal(0, 8), 108, 8);
  put(octal(0, 8), 116, 8);
  put(octal(size, 12), 124, 12);
  put(octal(mtime, 12), 136, 12);
  h.fill(0x20, 148, 156); // checksum field counts as spaces
  put('0', 156, 1);
  put('ustar\u0000', 257, 6);
  put('00', 263, 2);
  let sum = 0;
  for (const b of h) sum += b;
  put(`${sum.toString(8).padStart(6, '0')}\u0000 `, 148, 8);
  return h;
}

/** Writes `dir`'s files into a gzipped tar at `file`, each under `prefix/`. */
export function writeTarGz(dir: string, file: string, prefix: string): void {
  const mtime = Math.floor(Date.now() / 1000);
  const parts: Buffer[] = [];
  for (const f of files(dir)) {
    const body = readFileSync(join(dir, f));
    parts.push(header(`${prefix}/${f}`, body.length, mtime), body, Buffer.alloc((512 - (body.length % 512)) % 512));
  }
  parts.push(Buffer.alloc(1024));
  writeFileSync(file, gzipSync(Buffer.concat(parts)));
}

/** Extracts a gzipped tar written by writeTarGz (or any plain ustar of regular files) into `dir`; returns the top directory. */
export function readTarGz(file: string, dir: string): string {
  const tar = gunzipSync(readFileSync(file));
  let top = '';
  for (let at = 0; at + 512 <= tar.length; ) {
    const h = tar.subarray(at, at + 512);
    if (h.every((b) => b === 0)) break;
    const name = h.toString('utf8', 0, 100).replace(/\u0000.*$/s, '');
    const size = Number.parseInt(
      h
        .toString('ascii', 124, 136)
        .replace(/\u0000.*$/s, '')
        .trim() || '0',
      8,
    );
    const type = String.fromCharCode(h[156] as number);
    at += 512;
    if ((type === '0' || type === '\u0000') && !name.split('/').includes('..') && !name.startsWith('/')) {
      const target = join(dir, name);
      mkdirSync(dirname(target), { recursive: true });
      writeFileSync(target, tar.subarray(at, at + size));
      top ||= name.split('/')[0] as string;
    }
    at += Math.ceil(size / 512) * 512;
  }
  return join(dir, top);
}
