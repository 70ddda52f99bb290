// Summaries of per-round figures for the server benchmarks (express, express-inproc, nest).

/** The median (the upper one of an even count). */
export const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** The middle half of the rounds (25th-75th percentile), as "lo-hi": what one noisy round does not move. */
export function middleHalf(xs) {
  const q = [...xs].sort((a, b) => a - b);
  const at = (f) => q[Math.min(q.length - 1, Math.floor(f * q.length))];
  return `${at(0.25).toFixed(2)}-${at(0.75).toFixed(2)}`;
}

/**
 * One round in turns: each server measured once, `measure(server)` in turn, the round's first
 * server moving by one each round (drift hits every server alike). The round's figures by mode.
 */
export async function inTurns(servers, round, measure) {
  const row = {};
  for (let i = 0; i < servers.length; i++) {
    const s = servers[(i + round) % servers.length];
    row[s.mode] = await measure(s);
  }
  return row;
}
