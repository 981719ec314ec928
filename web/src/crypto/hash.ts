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
