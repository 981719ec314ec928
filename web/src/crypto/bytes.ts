// Byte helpers shared by the crypto modules: hex, concatenation, comparison, big-endian integers.

/** Bytes backed by a plain ArrayBuffer (what WebCrypto and postMessage transfer accept). */
export type Bytes = Uint8Array<ArrayBuffer>;

/** Lower-case hex without a prefix. */
export function toHex(b: Uint8Array): string {
  let s = "";
  for (const x of b) s += x.toString(16).padStart(2, "0");
  return s;
}

/** Parses hex, with or without `0x`; throws on odd length or a non-hex digit. */
export function fromHex(hex: string): Bytes {
  const h = hex.startsWith("0x") || hex.startsWith("0X") ? hex.slice(2) : hex;
  if (h.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(h)) throw new Error("not a hex string");
  const out = new Uint8Array(h.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(h.slice(2 * i, 2 * i + 2), 16);
  return out;
}

/** Parses exactly `n` bytes of hex. */
export function fromHexN(hex: string, n: number): Bytes {
  const b = fromHex(hex);
  if (b.length !== n) throw new Error(`expected ${n} bytes of hex`);
  return b;
}

export function concat(...parts: Uint8Array[]): Bytes {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

export function equal(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let d = 0;
  for (let i = 0; i < a.length; i++) d |= a[i]! ^ b[i]!;
  return d === 0;
}

/** -1, 0 or 1, comparing bytes as unsigned big-endian numbers of equal length. */
export function compare(a: Uint8Array, b: Uint8Array): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    if (a[i] !== b[i]) return a[i]! < b[i]! ? -1 : 1;
  }
  return a.length - b.length;
}

/** A copy in a fresh ArrayBuffer. */
export function copy(b: Uint8Array): Bytes {
  return new Uint8Array(b);
}

export function utf8(s: string): Bytes {
  return new TextEncoder().encode(s) as Bytes;
}
