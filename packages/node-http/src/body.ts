/** Request and response bodies as an entry keeps them: parsed when JSON, described when binary, capped. */

export function bodyOf(chunks: Buffer[], contentType: unknown): unknown {
  const text = Buffer.concat(chunks).toString('utf8');
  if (typeof contentType === 'string' && contentType.includes('json')) {
    try {
      return JSON.parse(text);
    } catch {
      return text;
    }
  }
  return text;
}

export function capBody(value: unknown, max: number): unknown {
  if (value === undefined) return undefined;
  // Raw bodies (uploads, express.raw) are described, never logged byte for byte.
  if (value instanceof Uint8Array) return `[binary body: ${value.length} bytes]`;
  let size: number;
  try {
    size = typeof value === 'string' ? Buffer.byteLength(value) : Buffer.byteLength(JSON.stringify(value) ?? '');
  } catch {
    return '[unserializable body]';
  }
  if (size <= max) return value;
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  return `${text.slice(0, max)}…[truncated ${size - max} of ${size} bytes]`;
}
