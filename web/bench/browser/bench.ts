// Runs in Chromium (bench/browser.mjs drives it): the portal's seal and open through the crypto
// Web Worker, next to raw WebCrypto AES-256-GCM in 1 MiB calls and raw one-shot SHA-256 over
// the same data in the same run; then a large seal and open whose output goes into Blobs (as
// the documents page does), sampling the page's JavaScript heap.
import { CryptoClient } from "../../src/crypto/client";
import { createKeystore, serializeKeystore } from "../../src/crypto/keystore";
import { seal as sealDirect, open as openDirect, generateIdentity } from "../../src/crypto/envelope";
import { sha256Hasher } from "../../src/crypto/hash";

const MIB = 1024 * 1024;
type Result = Record<string, number | string>;

async function randomBlob(bytes: number): Promise<Blob> {
  const parts: Blob[] = [];
  const piece = new Uint8Array(MIB);
  for (let done = 0; done < bytes; done += MIB) {
    for (let i = 0; i < piece.length; i += 65536) crypto.getRandomValues(piece.subarray(i, i + 65536));
    parts.push(new Blob([piece.subarray(0, Math.min(MIB, bytes - done))]));
  }
  return new Blob(parts);
}

async function best(runs: number, f: () => Promise<void>): Promise<number> {
  let b = Infinity;
  for (let r = 0; r < runs; r++) {
    const t = performance.now();
    await f();
    b = Math.min(b, performance.now() - t);
  }
  return b / 1000;
}

/** Drains a job's output into a Blob, composing every 8 MiB so the heap holds little. */
async function toBlob(stream: ReadableStream<Uint8Array>, sample?: () => void): Promise<Blob> {
  let blob = new Blob([]);
  let pending: Uint8Array[] = [];
  let pendingBytes = 0;
  const reader = stream.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    pending.push(value);
    pendingBytes += value.length;
    if (pendingBytes >= 8 * MIB) {
      blob = new Blob([blob, ...(pending as BlobPart[])]);
      pending = [];
      pendingBytes = 0;
      sample?.();
    }
  }
  return new Blob([blob, ...(pending as BlobPart[])]);
}

async function drain(stream: ReadableStream<Uint8Array>): Promise<number> {
  let n = 0;
  const reader = stream.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return n;
    n += value.length;
  }
}

function heap(): number {
  return (performance as unknown as { memory?: { usedJSHeapSize: number } }).memory?.usedJSHeapSize ?? 0;
}

async function run(params: URLSearchParams): Promise<Result> {
  const size = Number(params.get("mib") ?? 64) * MIB;
  const bigSize = Number(params.get("big") ?? 0) * MIB;
  const client = CryptoClient.start();
  const { file } = await createKeystore("benchmark passphrase", { kdf: { m_kib: 8, t: 1, p: 1 } });
  const keys = await client.unlock(serializeKeystore(file), "benchmark passphrase");
  const docId = crypto.getRandomValues(new Uint8Array(16));
  const input = await randomBlob(size);
  const buf = new Uint8Array(await input.arrayBuffer());
  const out: Result = { userAgent: navigator.userAgent, mib: size / MIB };

  const aes = await crypto.subtle.generateKey({ name: "AES-GCM", length: 256 }, false, ["encrypt"]);
  const iv = new Uint8Array(12);
  const tAes = await best(3, async () => {
    for (let i = 0; i < buf.length; i += MIB) await crypto.subtle.encrypt({ name: "AES-GCM", iv }, aes, buf.subarray(i, i + MIB));
  });
  const tSha = await best(3, async () => {
    await crypto.subtle.digest("SHA-256", buf);
  });
  let sealed = new Blob([]);
  const tSeal = await best(3, async () => {
    const job = client.seal(input, { docId, recipients: [keys.x25519Public] });
    sealed = await toBlob(job.stream);
    await job.done;
  });
  const tOpen = await best(3, async () => {
    const job = client.open(sealed, { docId, key: keys.key });
    const n = await drain(job.stream);
    await job.done;
    if (n !== size) throw new Error(`opened ${n} bytes, sealed ${size}`);
  });
  const rate = (t: number) => size / MIB / t;
  const tWasm = await best(3, async () => {
    const h = await sha256Hasher();
    for (let i = 0; i < buf.length; i += 65536) h.update(buf.subarray(i, i + 65536));
    h.digest();
  });
  out.sha256_wasm_64k_mibs = rate(tWasm);
  const identity = await generateIdentity();
  const tDirect = await best(3, async () => {
    const g = sealDirect([buf], { docId, recipients: [identity.publicKey] });
    for (let r = await g.next(); !r.done; r = await g.next());
  });
  out.seal_in_page_mibs = rate(tDirect);
  const tRead = await best(3, async () => {
    await drain(input.stream() as ReadableStream<Uint8Array>);
  });
  out.blob_read_mibs = rate(tRead);
  void openDirect;
  out.aes_gcm_1mib_mibs = rate(tAes);
  out.sha256_oneshot_mibs = rate(tSha);
  out.seal_mibs = rate(tSeal);
  out.open_mibs = rate(tOpen);
  // Floors: sealing encrypts once and hashes twice (plaintext and ciphertext); opening
  // decrypts once and hashes once.
  out.seal_floor_mibs = 1 / (1 / rate(tAes) + 2 / rate(tSha));
  out.open_floor_mibs = 1 / (1 / rate(tAes) + 1 / rate(tSha));
  out.seal_vs_floor = rate(tSeal) / (out.seal_floor_mibs as number);
  out.open_vs_floor = rate(tOpen) / (out.open_floor_mibs as number);

  if (bigSize) {
    let peak = heap();
    const sample = () => {
      peak = Math.max(peak, heap());
    };
    const timer = setInterval(sample, 50);
    const big = await randomBlob(bigSize);
    const t0 = performance.now();
    const job = client.seal(big, { docId, recipients: [keys.x25519Public] });
    const bigSealed = await toBlob(job.stream, sample);
    await job.done;
    const t1 = performance.now();
    const open = client.open(bigSealed, { docId, key: keys.key });
    const opened = await toBlob(open.stream, sample);
    await open.done;
    const t2 = performance.now();
    clearInterval(timer);
    if (opened.size !== bigSize) throw new Error("large round trip lost bytes");
    out.big_mib = bigSize / MIB;
    out.big_seal_s = (t1 - t0) / 1000;
    out.big_open_s = (t2 - t1) / 1000;
    out.big_page_heap_peak_mib = peak / MIB;
  }
  return out;
}

const status = document.getElementById("status");
run(new URLSearchParams(location.search)).then(
  (r) => {
    (window as unknown as { benchResult: Result }).benchResult = r;
    if (status) status.textContent = "done";
  },
  (e: unknown) => {
    (window as unknown as { benchResult: Result }).benchResult = { error: String(e) };
    if (status) status.textContent = "failed";
  },
);
