// The worker protocol over a MessageChannel (as the page talks to the Web Worker): seal and open
// with transferred chunks, progress, backpressure, errors, and keys that stay in the worker.
import { MessageChannel } from "node:worker_threads";
import { describe, expect, it } from "vitest";
import { concat, toHex, type Bytes } from "../src/crypto/bytes";
import { CryptoClient, type WorkerLike } from "../src/crypto/client";
import { BATCH_BYTES, CHUNK_CT_SIZE, CHUNK_SIZE, DecryptError, encodeHeader } from "../src/crypto/envelope";
import { createKeystore, serializeKeystore } from "../src/crypto/keystore";
import { MESSAGE_BYTES, WINDOW, serve, type Port } from "../src/crypto/worker";
import { data, testRng } from "./helpers";

const PASSPHRASE = "test-only passphrase, not a secret";
const DOC = new Uint8Array(16).fill(7);

function pair(): CryptoClient {
  const { port1, port2 } = new MessageChannel();
  serve(port1 as unknown as Port);
  return new CryptoClient(port2 as unknown as WorkerLike);
}

async function readAll(s: ReadableStream<Uint8Array>): Promise<Bytes> {
  const parts: Uint8Array[] = [];
  const reader = s.getReader();
  for (let r = await reader.read(); !r.done; r = await reader.read()) parts.push(r.value);
  return concat(...parts);
}

describe("crypto worker", () => {
  it("unlocks a keystore, seals a Blob and opens it, keeping keys in the worker", async () => {
    const client = pair();
    const { file } = await createKeystore(PASSPHRASE, { rng: testRng(3), kdf: { m_kib: 256, t: 1, p: 1 } });
    const unlocked = await client.unlock(serializeKeystore(file), PASSPHRASE);
    expect(toHex(unlocked.x25519Public)).toBe(file.x25519_public);
    expect(unlocked.address).toBe(file.eth_address);
    expect(Object.keys(unlocked).sort()).toEqual(["address", "key", "signers", "x25519Public"]);
    expect(unlocked.signers).toEqual([file.eth_address]);

    const plain = data(3 * CHUNK_SIZE + 123);
    const progress: number[] = [];
    const sealed = client.seal(new Blob([plain]), { docId: DOC, recipients: [unlocked.x25519Public], onProgress: (n) => progress.push(n) });
    const envelope = await readAll(sealed.stream);
    const info = await sealed.done;
    expect(info.plaintextLen).toBe(plain.length);
    expect(progress.at(-1)).toBe(plain.length);

    const opened = client.open(new Blob([envelope]), { docId: DOC, key: unlocked.key });
    expect(Buffer.compare(await readAll(opened.stream), plain)).toBe(0);
    expect(toHex((await opened.done).plaintextSha256)).toBe(toHex(info.plaintextSha256));

    // The header kept apart; the payload as a stream.
    const header = encodeHeader(info.header);
    const payload = envelope.subarray(header.length);
    const apart = client.open(new Blob([payload]).stream(), { docId: DOC, key: unlocked.key, header });
    expect(Buffer.compare(await readAll(apart.stream), plain)).toBe(0);
    await apart.done;

    await client.forget(unlocked.key);
    const gone = client.open(new Blob([envelope]), { docId: DOC, key: unlocked.key });
    await expect(gone.done).rejects.toThrow("not unlocked");
  });

  it("refuses a tampered envelope with the opaque error, and a wrong passphrase", async () => {
    const client = pair();
    const { file } = await createKeystore(PASSPHRASE, { rng: testRng(4), kdf: { m_kib: 256, t: 1, p: 1 } });
    await expect(client.unlock(serializeKeystore(file), "wrong passphrase!")).rejects.toThrow("wrong passphrase");
    const u = await client.unlock(serializeKeystore(file), PASSPHRASE);
    const sealed = client.seal(new Blob([data(CHUNK_SIZE + 5)]), { docId: DOC, recipients: [u.x25519Public] });
    const bad = (await readAll(sealed.stream)).slice();
    bad[bad.length - 1]! ^= 1;
    const opened = client.open(new Blob([bad]), { docId: DOC, key: u.key });
    await expect(readAll(opened.stream)).rejects.toBeInstanceOf(DecryptError);
    await expect(opened.done).rejects.toBeInstanceOf(DecryptError);
  });

  it("waits for a slow reader (no more than its window in flight)", async () => {
    const client = pair();
    const { file } = await createKeystore(PASSPHRASE, { rng: testRng(5), kdf: { m_kib: 256, t: 1, p: 1 } });
    const u = await client.unlock(serializeKeystore(file), PASSPHRASE);
    let sealedBytes = 0;
    const chunks = 16 * (WINDOW + 6); // well past what may be in flight
    const job = client.seal(new Blob([data(chunks * CHUNK_SIZE)]), { docId: DOC, recipients: [u.x25519Public], onProgress: (n) => (sealedBytes = n) });
    await new Promise((r) => setTimeout(r, 500)); // nobody reads yet
    // In flight: WINDOW messages, one being gathered, and one batch being sealed.
    expect(sealedBytes).toBeLessThanOrEqual((WINDOW + 2) * MESSAGE_BYTES + BATCH_BYTES);
    expect(sealedBytes).toBeLessThan(chunks * CHUNK_SIZE);
    const all = await readAll(job.stream);
    expect(all.length).toBe(encodeHeader((await job.done).header).length + chunks * CHUNK_CT_SIZE);
  });
});
