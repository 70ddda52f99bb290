#!/usr/bin/env node
// Readiness probe with no dependencies: sends one Kafka Metadata request
// (v4, all topics, no auto-creation) and exits 0 only if the answer lists at
// least one live broker. Usage: node kafka-ready.mjs [host] [port] [timeoutMs]
//
// Why a real request and not just a TCP connect: a KRaft broker's listener
// accepts TCP early, but request processing is enabled only after the broker
// is unfenced (BrokerServer.startup waits on setReadyToUnfence() before
// socketServer.enableRequestProcessing(), checked in 4.1.1), and Metadata only
// lists unfenced brokers.
// Metadata v4 is inside validVersions 0-13 of MetadataRequest.json (4.1.1) and
// is the last non-flexible version, so it has a simple fixed layout.
import net from 'node:net';

const host = process.argv[2] ?? '127.0.0.1';
const port = Number(process.argv[3] ?? 9092);
const timeoutMs = Number(process.argv[4] ?? 2000);

function request() {
  const clientId = Buffer.from('kafka-ready');
  const body = Buffer.alloc(2 + 2 + 4 + 2 + clientId.length + 4 + 1);
  let o = 0;
  o = body.writeInt16BE(3, o); // api_key: Metadata
  o = body.writeInt16BE(4, o); // api_version
  o = body.writeInt32BE(1, o); // correlation_id
  o = body.writeInt16BE(clientId.length, o);
  o += clientId.copy(body, o);
  o = body.writeInt32BE(-1, o); // topics: null = all topics
  o = body.writeInt8(0, o); // allow_auto_topic_creation: false
  const size = Buffer.alloc(4);
  size.writeInt32BE(body.length);
  return Buffer.concat([size, body]);
}

function parse(buf) {
  let o = 0;
  const i16 = () => {
    const v = buf.readInt16BE(o);
    o += 2;
    return v;
  };
  const i32 = () => {
    const v = buf.readInt32BE(o);
    o += 4;
    return v;
  };
  const str = () => {
    const n = i16();
    if (n < 0) return null;
    const s = buf.toString('utf8', o, o + n);
    o += n;
    return s;
  };
  const correlationId = i32();
  if (correlationId !== 1) throw new Error(`unexpected correlation id ${correlationId}`);
  i32(); // throttle_time_ms
  const brokers = [];
  for (let n = i32(), k = 0; k < n; k++) {
    brokers.push({ nodeId: i32(), host: str(), port: i32(), rack: str() });
  }
  const clusterId = str();
  const controllerId = i32();
  return { brokers, clusterId, controllerId };
}

const socket = net.connect({ host, port });
const timer = setTimeout(() => fail('timeout'), timeoutMs);
let chunks = Buffer.alloc(0);

function fail(why) {
  clearTimeout(timer);
  socket.destroy();
  console.error(`not ready: ${why}`);
  process.exit(1);
}

socket.on('connect', () => socket.write(request()));
socket.on('error', (e) => fail(e.code ?? e.message));
socket.on('close', () => fail('connection closed before a full answer'));
socket.on('data', (d) => {
  chunks = Buffer.concat([chunks, d]);
  if (chunks.length < 4) return;
  const size = chunks.readInt32BE(0);
  if (chunks.length < 4 + size) return;
  clearTimeout(timer);
  socket.removeAllListeners('close');
  socket.destroy();
  let meta;
  try {
    meta = parse(chunks.subarray(4, 4 + size));
  } catch (e) {
    fail(`bad answer: ${e.message}`);
  }
  if (meta.brokers.length === 0) fail('no live broker in metadata yet');
  console.log(JSON.stringify(meta));
  process.exit(0);
});
