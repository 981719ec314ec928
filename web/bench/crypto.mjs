// Throughput of the web client's envelope in Node, next to the primitives it is made of, on the
// same 64 MiB in the same run: seal and open (sink output), WebCrypto AES-256-GCM in 64 KiB
// calls, WebCrypto SHA-256 one-shot, and hash-wasm's streaming SHA-256 in 64 KiB pieces.
// Run: npm run bench (or node bench/crypto.mjs [MiB]). Loads the TypeScript through Vite.
import { createServer } from "vite";

const MIB = 1024 * 1024;
const size = Number(process.argv[2] ?? 64) * MIB;
const CHUNK = 65536;

const server = await createServer({ server: { middlewareMode: true }, appType: "custom", logLevel: "silent" });
const env = await server.ssrLoadModule("/src/crypto/envelope.ts");
const hash = await server.ssrLoadModule("/src/crypto/hash.ts");

const data = new Uint8Array(size);
for (let i = 0; i < size; i += 65536) crypto.getRandomValues(data.subarray(i, Math.min(size, i + 65536)));
const pieces = function* (b, n) {
  for (let i = 0; i < b.length; i += n) yield b.subarray(i, Math.min(b.length, i + n));
};

async function time(name, f, runs = 3) {
  let best = Infinity;
  for (let r = 0; r < runs; r++) {
    const t = performance.now();
    await f();
    best = Math.min(best, performance.now() - t);
  }
  const rate = size / MIB / (best / 1000);
  console.log(`${name.padEnd(34)} ${best.toFixed(0).padStart(6)} ms  ${rate.toFixed(0).padStart(5)} MiB/s`);
  return rate;
}

const id = await env.generateIdentity();
const docId = new Uint8Array(16);
// The sealed file, kept for open (header and payload chunks as produced).
let sealed = [];

console.log(`node ${process.version}, ${size / MIB} MiB, best of 3`);
const aesKey = await crypto.subtle.generateKey({ name: "AES-GCM", length: 256 }, false, ["encrypt"]);
const raw = {
  aes: await time("raw AES-256-GCM (WebCrypto, 64 KiB)", async () => {
    const iv = new Uint8Array(12);
    for (const p of pieces(data, CHUNK)) await crypto.subtle.encrypt({ name: "AES-GCM", iv }, aesKey, p);
  }),
  sha: await time("raw SHA-256 (WebCrypto, one-shot)", () => crypto.subtle.digest("SHA-256", data)),
  shaStream: await time("raw SHA-256 (hash-wasm, 64 KiB)", async () => {
    const h = await hash.sha256Hasher();
    for (const p of pieces(data, CHUNK)) h.update(p);
    h.digest();
  }),
};
const sealRate = await time("seal (AES-GCM + 2 x SHA-256)", async () => {
  const out = [];
  const gen = env.seal(pieces(data, 1 << 20), { docId, recipients: [id.publicKey] });
  for (let r = await gen.next(); !r.done; r = await gen.next()) out.push(r.value);
  sealed = out;
});
const openRate = await time("open (AES-GCM + SHA-256)", async () => {
  const gen = env.open(sealed, { docId, identity: id });
  for (let r = await gen.next(); !r.done; r = await gen.next());
});
const floorSeal = 1 / (1 / raw.aes + 2 / raw.shaStream);
const floorOpen = 1 / (1 / raw.aes + 1 / raw.shaStream);
console.log(
  `seal at ${(sealRate / floorSeal).toFixed(2)} of its floor (${floorSeal.toFixed(0)} MiB/s), ` +
    `open at ${(openRate / floorOpen).toFixed(2)} of its floor (${floorOpen.toFixed(0)} MiB/s); ` +
    `peak RSS ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MiB (the input and the sealed copy are in memory)`,
);
await server.close();
