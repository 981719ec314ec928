// Hashes in WebAssembly (hash-wasm): streaming SHA-256 (WebCrypto's digest is one-shot only)
// and keccak-256 (Ethereum's, not SHA3-256).
import { createKeccak, createSHA256, type IHasher } from "hash-wasm";
import type { Bytes } from "./bytes";

/** An incremental hash: feed it pieces, then take the 32-byte digest once. */
export interface Hasher {
  update(data: Uint8Array): Hasher;
  digest(): Bytes;
}

function wrap(h: IHasher): Hasher {
  h.init();
  const self: Hasher = {
    update(data) {
      h.update(data);
      return self;
    },
    digest: () => new Uint8Array(h.digest("binary")),
  };
  return self;
}

/** A streaming hash whose digest may be computed elsewhere (see `offThreadSha256`). */
export interface AsyncHasher {
  update(data: Uint8Array): void;
  digest(): Promise<Bytes>;
}

let hashWorker: Worker | null = null;
let nextHash = 0;
const waiting = new Map<number, (d: Bytes) => void>();

/**
 * A streaming SHA-256 computed in a second worker (another core) where workers can be started,
 * else in this thread. `update` copies the bytes, so the caller may reuse its buffer.
 */
export async function offThreadSha256(): Promise<AsyncHasher> {
  if (typeof Worker === "undefined") {
    const h = await sha256Hasher();
    return { update: (d) => void h.update(d), digest: async () => h.digest() };
  }
  if (!hashWorker) {
    hashWorker = new Worker(new URL("./hashWorker.ts", import.meta.url), { type: "module", name: "pramana-hash" });
    hashWorker.onmessage = (e: MessageEvent<{ id: number; digest: Uint8Array }>) => {
      waiting.get(e.data.id)?.(new Uint8Array(e.data.digest));
      waiting.delete(e.data.id);
    };
  }
  const w = hashWorker;
  const id = nextHash++;
  return {
    update(data) {
      const c = data.slice();
      w.postMessage({ type: "update", id, data: c.buffer }, [c.buffer]);
    },
    digest: () =>
      new Promise<Bytes>((resolve) => {
        waiting.set(id, resolve);
        w.postMessage({ type: "digest", id });
      }),
  };
}

/** A new streaming SHA-256. */
export async function sha256Hasher(): Promise<Hasher> {
  return wrap(await createSHA256());
}

/** A new streaming keccak-256. */
export async function keccak256Hasher(): Promise<Hasher> {
  return wrap(await createKeccak(256));
}

/** SHA-256 of a byte string or of a stream of pieces. */
export async function sha256(data: Uint8Array | AsyncIterable<Uint8Array> | Iterable<Uint8Array>): Promise<Bytes> {
  const h = await sha256Hasher();
  if (data instanceof Uint8Array) return h.update(data).digest();
  for await (const piece of data) h.update(piece);
  return h.digest();
}

/** keccak-256 of the concatenation of `parts`. */
export async function keccak256(...parts: Uint8Array[]): Promise<Bytes> {
  const h = await keccak256Hasher();
  for (const p of parts) h.update(p);
  return h.digest();
}
