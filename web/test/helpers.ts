// Test helpers: the deterministic random stream of core/src/envelope/tests.rs and the
// plaintexts of the committed vectors.
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import type { Bytes } from "../src/crypto/bytes";
import type { Rng } from "../src/crypto/envelope";

/** Block k = SHA-256([seed; 32] ‖ k as u64 big-endian), bytes taken in order. Tests only. */
export function testRng(seed: number): Rng {
  let block = 0n;
  let buf = new Uint8Array(0);
  let used = 0;
  return (n) => {
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i++) {
      if (used === buf.length) {
        const counter = Buffer.alloc(8);
        counter.writeBigUInt64BE(block);
        buf = new Uint8Array(createHash("sha256").update(Buffer.alloc(32, seed)).update(counter).digest());
        block += 1n;
        used = 0;
      }
      out[i] = buf[used++]!;
    }
    return out;
  };
}

/** n bytes, byte i = i mod 251. */
export function data(n: number): Bytes {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = i % 251;
  return out;
}

/** A file of the repository, relative to its root. */
export function repoFile(path: string): string {
  return readFileSync(fileURLToPath(new URL(`../../${path}`, import.meta.url)), "utf8");
}

export function fixture(name: string): Buffer {
  return readFileSync(fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url)));
}

/** Splits bytes into pieces of `size` (to feed the streaming API unevenly). */
export function* pieces(b: Uint8Array, size: number): Generator<Uint8Array> {
  for (let i = 0; i < b.length; i += size) yield b.subarray(i, Math.min(b.length, i + size));
}
