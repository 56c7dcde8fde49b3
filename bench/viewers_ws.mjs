// The browser-like viewers of the live channel: N WebSockets opened with Node's `ws` library, each frame parsed in
// full with JSON.parse and acknowledged as the page's script does (static/js/results-live.js). It takes the same
// arguments and writes the same JSON report as the lean client (bench/viewers.py), so the benchmark reads either:
//
//     node bench/viewers_ws.mjs --url ws://127.0.0.1:PORT/ws/results/SLUG/ --viewers N --out FILE
//
// Prints `ready <connected> <failed>` once every viewer is connected (or gave up), records until SIGUSR1 or
// --max-seconds, then writes FILE and exits. Unlike the lean client, it pays what a browser pays per frame: UTF-8
// decoding, unmasking and a full parse; one process of it on one core is what limits how many viewers it can keep up.
import { writeFileSync } from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";
import WebSocket from "ws";

function parseArguments(argv) {
  const options = { origin: null, concurrency: 100, maxSeconds: 300 };
  for (let index = 0; index < argv.length; index += 2) {
    const [name, value] = [argv[index], argv[index + 1]];
    if (name === "--url") options.url = value;
    else if (name === "--origin") options.origin = value;
    else if (name === "--viewers") options.viewers = Number.parseInt(value, 10);
    else if (name === "--concurrency") options.concurrency = Number.parseInt(value, 10);
    else if (name === "--max-seconds") options.maxSeconds = Number.parseFloat(value);
    else if (name === "--out") options.out = value;
    else throw new Error(`unknown argument ${name}`);
  }
  if (!options.url || !options.out || !(options.viewers > 0)) throw new Error("--url, --viewers and --out are required");
  if (!options.url.startsWith("ws://127.0.0.1:")) throw new Error("viewers connect to 127.0.0.1 only");
  return options;
}

const options = parseArguments(process.argv.slice(2));
const origin = options.origin || options.url.replace("ws://", "http://").split("/ws/")[0];

const recorder = {
  receipts: new Map(), // version -> [seconds since the epoch]
  previous: new Map(),
  stamped: new Map(),
  sizes: [],
  received: Array.from({ length: options.viewers }, () => new Set()),
  hello: [],
  closes: {},
  recording: true,
};

function noteClose(code) {
  if (recorder.recording) recorder.closes[code] = (recorder.closes[code] || 0) + 1;
}

// One viewer: resolves with its socket once the hello arrived, or null after five failed attempts.
async function openViewer(index) {
  for (let attempt = 0; attempt < 5; attempt += 1) {
    const socket = await new Promise((resolve) => {
      const ws = new WebSocket(options.url, { origin, perMessageDeflate: false, handshakeTimeout: 30000 });
      let ackEvery = 1;
      let unacknowledged = 0;
      let greeted = false;
      const giveUp = setTimeout(() => ws.terminate(), 30000);
      ws.on("message", (data, isBinary) => {
        const at = Date.now() / 1000;
        if (isBinary) return;
        const text = data.toString("utf8");
        let frame;
        try {
          frame = JSON.parse(text);
        } catch {
          return;
        }
        if (frame.type === "hello") {
          ackEvery = frame.ack_every > 0 ? frame.ack_every : 1;
          unacknowledged = 0;
          if (!greeted) {
            greeted = true;
            clearTimeout(giveUp);
            recorder.hello.push(Number(frame.version) || 0);
            resolve(ws);
          }
          return;
        }
        if (frame.type !== "update" || typeof frame.version !== "number") return;
        const version = frame.version;
        if (recorder.recording) {
          if (!recorder.receipts.has(version)) recorder.receipts.set(version, []);
          recorder.receipts.get(version).push(at);
          recorder.received[index].add(version);
          if (!recorder.previous.has(version)) {
            recorder.previous.set(version, frame.previous);
            recorder.stamped.set(version, Date.parse(frame.updated_at) / 1000);
            recorder.sizes.push(Buffer.byteLength(text));
          }
        }
        unacknowledged += 1;
        if (unacknowledged >= ackEvery && ws.readyState === WebSocket.OPEN) {
          ws.send(JSON.stringify({ ack: version }));
          unacknowledged = 0;
        }
      });
      ws.on("close", (code) => {
        clearTimeout(giveUp);
        if (greeted) noteClose(String(code || "none"));
        else resolve(null);
      });
      ws.on("error", () => {
        if (!greeted) {
          clearTimeout(giveUp);
          resolve(null);
        }
      });
    });
    if (socket !== null) return socket;
    await sleep(200 * (attempt + 1));
  }
  return null;
}

async function openAll() {
  const sockets = new Array(options.viewers).fill(null);
  let next = 0;
  async function worker() {
    while (next < options.viewers) {
      const index = next;
      next += 1;
      sockets[index] = await openViewer(index);
    }
  }
  await Promise.all(Array.from({ length: Math.min(options.concurrency, options.viewers) }, worker));
  return sockets;
}

const started = process.hrtime.bigint();
const sockets = await openAll();
const connected = sockets.filter((socket) => socket !== null);
const connectSeconds = Number(process.hrtime.bigint() - started) / 1e9;
process.stdout.write(`ready ${connected.length} ${options.viewers - connected.length}\n`);

await new Promise((resolve) => {
  const timer = setTimeout(resolve, options.maxSeconds * 1000);
  for (const signal of ["SIGUSR1", "SIGTERM"]) {
    process.on(signal, () => {
      clearTimeout(timer);
      resolve();
    });
  }
});
recorder.recording = false;
for (const socket of connected) socket.terminate();

const newestHello = Math.max(0, ...recorder.hello);
const expected = [...recorder.receipts.keys()].filter((version) => version > newestHello);
let lost = 0;
sockets.forEach((socket, index) => {
  if (socket === null) return;
  for (const version of expected) if (!recorder.received[index].has(version)) lost += 1;
});
const versions = {};
for (const version of [...recorder.receipts.keys()].sort((a, b) => a - b)) {
  versions[String(version)] = {
    previous: recorder.previous.get(version),
    stamped: recorder.stamped.get(version),
    receipts: recorder.receipts.get(version),
  };
}
writeFileSync(
  options.out,
  JSON.stringify({
    connected: connected.length,
    failed: options.viewers - connected.length,
    connect_seconds: connectSeconds,
    newest_hello: newestHello,
    versions,
    frame_bytes: Math.max(0, ...recorder.sizes),
    lost,
    closed_early: recorder.closes,
  }),
);
process.exit(0);
