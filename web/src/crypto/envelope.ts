// The encryption envelope, version 1 (docs/envelope.md), as core/src/envelope does it:
// a header of HPKE stanzas (one per key holder) and an HMAC, then the payload in AES-256-GCM
// chunks of 64 KiB with a STREAM nonce. Sealing and opening stream in constant memory (one
// chunk buffer each way) and compute the plaintext and payload SHA-256 in the same pass.
// HPKE is @hpke/core; AES-GCM, HKDF and HMAC are WebCrypto. No DOM: runs in Node, a page or a
// Web Worker.
import { Aes256Gcm, CipherSuite, DhkemX25519HkdfSha256, HkdfSha256, type KemInterface } from "@hpke/core";
import { DhkemX25519HkdfSha256 as DhkemX25519Fallback } from "@hpke/dhkem-x25519";
import { concat, copy, equal, utf8, type Bytes } from "./bytes";
import { documentCommitment } from "./commitment";
import { offThreadSha256, sha256Hasher, type AsyncHasher } from "./hash";

export const MAGIC = utf8("PRMENV");
export const VERSION = 1;
/** Plaintext bytes per chunk (the only value version 1 accepts). */
export const CHUNK_SIZE = 65536;
export const TAG_LEN = 16;
/** Ciphertext bytes per full chunk. */
export const CHUNK_CT_SIZE = CHUNK_SIZE + TAG_LEN;
export const MAX_STANZAS = 64;
/** Chunks sealed or opened concurrently (1 MiB of plaintext). */
const BATCH_CHUNKS = 16;
/** Plaintext bytes in one batch. */
export const BATCH_BYTES = BATCH_CHUNKS * CHUNK_SIZE;
/** Bytes before the stanzas. */
export const FIXED_LEN = 46;
export const STANZA_LEN = 97;
export const MAC_LEN = 32;
/** RFC 9180 HPKE base mode, DHKEM(X25519, HKDF-SHA256), HKDF-SHA256, AES-256-GCM. */
export const STANZA_HPKE_X25519 = 1;

const STANZA_INFO = utf8("pramana/envelope/v1/stanza");
const PAYLOAD_INFO = utf8("pramana/envelope/v1/payload");
const MAC_INFO = utf8("pramana/envelope/v1/header-mac");

/** Every decryption failure, deliberately one opaque error whatever the cause. */
export class DecryptError extends Error {
  constructor() {
    super("decryption failed");
    this.name = "DecryptError";
  }
}

/** The bytes are not a well-formed header (from keyless parsing only). */
export class MalformedError extends Error {
  constructor(reason: string) {
    super(`malformed envelope: ${reason}`);
    this.name = "MalformedError";
  }
}

/** Sealing or re-wrapping refused the recipients. */
export class RecipientsError extends Error {
  constructor(reason: string) {
    super(`recipients: ${reason}`);
    this.name = "RecipientsError";
  }
}

/** Returns `n` random bytes. Inject one to reproduce the vectors; the default is the system's. */
export type Rng = (n: number) => Bytes;

export const systemRng: Rng = (n) => crypto.getRandomValues(new Uint8Array(n));

export interface Stanza {
  /** First 16 bytes of SHA-256 of the recipient's X25519 public key. */
  keyId: Bytes;
  /** HPKE encapsulated key. */
  enc: Bytes;
  /** HPKE ciphertext of the data key, with its tag (48 bytes). */
  wrapped: Bytes;
}

export interface Header {
  docId: Bytes;
  /** Payload nonce: the salt of the key schedule. */
  nonce: Bytes;
  stanzas: Stanza[];
  mac: Bytes;
}

export interface SealOutput {
  header: Header;
  plaintextLen: number;
  payloadLen: number;
  plaintextSha256: Bytes;
  payloadSha256: Bytes;
  salt: Bytes;
  commitment: Bytes;
  leaf: Bytes;
}

export interface OpenOutput {
  plaintextLen: number;
  plaintextSha256: Bytes;
}

/** Where bytes come from: an (async) iterable of pieces or a ReadableStream. */
export type Source = AsyncIterable<Uint8Array> | Iterable<Uint8Array> | ReadableStream<Uint8Array>;

// ---------------------------------------------------------------------------------------------
// Header format

export function headerLen(nStanzas: number): number {
  return FIXED_LEN + STANZA_LEN * nStanzas + MAC_LEN;
}

/** Everything the MAC covers (the header without its MAC). */
export function authenticatedBytes(h: Header): Bytes {
  const out = new Uint8Array(FIXED_LEN + STANZA_LEN * h.stanzas.length);
  const view = new DataView(out.buffer);
  out.set(MAGIC, 0);
  out[6] = VERSION;
  out[7] = 0;
  out.set(h.docId, 8);
  view.setUint32(24, CHUNK_SIZE);
  out.set(h.nonce, 28);
  view.setUint16(44, h.stanzas.length);
  h.stanzas.forEach((s, i) => {
    const at = FIXED_LEN + STANZA_LEN * i;
    out[at] = STANZA_HPKE_X25519;
    out.set(s.keyId, at + 1);
    out.set(s.enc, at + 17);
    out.set(s.wrapped, at + 49);
  });
  return out;
}

export function encodeHeader(h: Header): Bytes {
  return concat(authenticatedBytes(h), h.mac);
}

/** Length of the header at the start of `bytes` once its first 46 bytes are known. */
function stanzaCount(fixed: Uint8Array): number {
  if (!equal(fixed.subarray(0, 6), MAGIC)) throw new MalformedError("not a Pramana envelope");
  if (fixed[6] !== VERSION || fixed[7] !== 0) throw new MalformedError("unsupported envelope version");
  const view = new DataView(fixed.buffer, fixed.byteOffset, FIXED_LEN);
  if (view.getUint32(24) !== CHUNK_SIZE) throw new MalformedError("unsupported chunk size");
  const n = view.getUint16(44);
  if (n === 0 || n > MAX_STANZAS) throw new MalformedError("stanza count out of range");
  return n;
}

/**
 * Parses the header at the start of `bytes` without a key: checks its structure, not its MAC
 * (a header that parses is well-formed, not authentic). Returns it and its length.
 */
export function parseHeader(bytes: Uint8Array): { header: Header; len: number } {
  if (bytes.length < FIXED_LEN) throw new MalformedError("header is truncated");
  const n = stanzaCount(bytes);
  const len = headerLen(n);
  if (bytes.length < len) throw new MalformedError("header is truncated");
  const stanzas: Stanza[] = [];
  for (let i = 0; i < n; i++) {
    const raw = bytes.subarray(FIXED_LEN + STANZA_LEN * i, FIXED_LEN + STANZA_LEN * (i + 1));
    if (raw[0] !== STANZA_HPKE_X25519) throw new MalformedError("unknown stanza type");
    const stanza = { keyId: copy(raw.subarray(1, 17)), enc: copy(raw.subarray(17, 49)), wrapped: copy(raw.subarray(49, 97)) };
    if (stanzas.some((s) => equal(s.keyId, stanza.keyId))) throw new MalformedError("duplicate recipient");
    stanzas.push(stanza);
  }
  const header = {
    docId: copy(bytes.subarray(8, 24)),
    nonce: copy(bytes.subarray(28, 44)),
    stanzas,
    mac: copy(bytes.subarray(len - MAC_LEN, len)),
  };
  return { header, len };
}

/** The plaintext length a payload of `payloadLen` bytes carries, or null if none has that length. */
export function plaintextLen(payloadLen: number): number | null {
  const q = Math.floor(payloadLen / CHUNK_CT_SIZE);
  const r = payloadLen % CHUNK_CT_SIZE;
  if (r === 0) return q > 0 ? q * CHUNK_SIZE : null;
  if (r === TAG_LEN) return q === 0 ? 0 : null;
  return r > TAG_LEN ? q * CHUNK_SIZE + r - TAG_LEN : null;
}

export function payloadLen(plaintextLen: number): number {
  return plaintextLen + TAG_LEN * Math.max(1, Math.ceil(plaintextLen / CHUNK_SIZE));
}

// ---------------------------------------------------------------------------------------------
// Keys

let suitePromise: Promise<CipherSuite> | undefined;

/** The HPKE suite: X25519 through WebCrypto where it has it, else the pure-JS fallback. */
export function suite(): Promise<CipherSuite> {
  suitePromise ??= (async () => {
    let kem: KemInterface = new DhkemX25519HkdfSha256();
    try {
      await crypto.subtle.generateKey({ name: "X25519" }, false, ["deriveBits"]);
    } catch {
      kem = new DhkemX25519Fallback();
    }
    return new CipherSuite({ kem, kdf: new HkdfSha256(), aead: new Aes256Gcm() });
  })();
  return suitePromise;
}

/** Uses the pure-JS X25519 from now on, as where WebCrypto lacks it (for tests of that path). */
export function useX25519Fallback(): void {
  suitePromise = Promise.resolve(
    new CipherSuite({ kem: new DhkemX25519Fallback(), kdf: new HkdfSha256(), aead: new Aes256Gcm() }),
  );
}

/** First 16 bytes of SHA-256 of a 32-byte X25519 public key: names the recipient's stanza. */
export async function keyId(publicKey: Uint8Array): Promise<Bytes> {
  const h = new Uint8Array(await crypto.subtle.digest("SHA-256", copy(publicKey)));
  return h.subarray(0, 16);
}

/** A key holder's X25519 key pair (kept on the holder's device only). */
export interface Identity {
  secretKey: Bytes;
  publicKey: Bytes;
  keyId: Bytes;
}

/** The identity of a 32-byte X25519 secret. */
export async function identityFromSecret(secretKey: Uint8Array): Promise<Identity> {
  if (secretKey.length !== 32) throw new DecryptError();
  const s = await suite();
  const sk = await s.kem.importKey("raw", copy(secretKey).buffer, false);
  // The KEM derives public keys internally (decap); its primitive is the one place that can.
  const prim = (s.kem as unknown as { _prim: { derivePublicKey(k: CryptoKey): Promise<CryptoKey> } })._prim;
  const publicKey = new Uint8Array(await s.kem.serializePublicKey(await prim.derivePublicKey(sk)));
  return { secretKey: copy(secretKey), publicKey, keyId: await keyId(publicKey) };
}

/** A new identity: RFC 9180 DeriveKeyPair of 32 random bytes (what Rust's `Identity::generate` does). */
export async function generateIdentity(rng: Rng = systemRng): Promise<Identity> {
  const s = await suite();
  const pair = await s.kem.deriveKeyPair(rng(32));
  return identityFromSecret(new Uint8Array(await s.kem.serializePrivateKey(pair.privateKey)));
}

interface Keys {
  payload: CryptoKey;
  mac: CryptoKey;
}

async function deriveKeys(dataKey: Bytes, nonce: Bytes, docId: Bytes): Promise<Keys> {
  const ikm = await crypto.subtle.importKey("raw", dataKey, "HKDF", false, ["deriveBits"]);
  const expand = async (label: Bytes) =>
    crypto.subtle.deriveBits({ name: "HKDF", hash: "SHA-256", salt: nonce, info: concat(label, docId) }, ikm, 256);
  const payload = await crypto.subtle.importKey("raw", await expand(PAYLOAD_INFO), "AES-GCM", false, [
    "encrypt",
    "decrypt",
  ]);
  const mac = await crypto.subtle.importKey("raw", await expand(MAC_INFO), { name: "HMAC", hash: "SHA-256" }, false, [
    "sign",
    "verify",
  ]);
  return { payload, mac };
}

async function headerMac(keys: Keys, h: Header): Promise<Bytes> {
  return new Uint8Array(await crypto.subtle.sign("HMAC", keys.mac, authenticatedBytes(h)));
}

function chunkNonce(counter: number, last: boolean): Bytes {
  const n = new Uint8Array(12);
  new DataView(n.buffer).setBigUint64(3, BigInt(counter));
  n[11] = last ? 1 : 0;
  return n;
}

async function wrap(dataKey: Bytes, docId: Bytes, publicKey: Uint8Array, rng: Rng): Promise<Stanza> {
  if (publicKey.length !== 32) throw new RecipientsError("not an X25519 public key");
  const s = await suite();
  const id = await keyId(publicKey);
  try {
    const pk = await s.kem.deserializePublicKey(copy(publicKey));
    const sealed = await s.seal(
      { recipientPublicKey: pk, info: concat(STANZA_INFO, docId), ekm: rng(32) },
      dataKey,
      id,
    );
    return { keyId: id, enc: new Uint8Array(sealed.enc), wrapped: new Uint8Array(sealed.ct) };
  } catch {
    throw new RecipientsError("cannot encrypt to this key (low-order point?)");
  }
}

/** Finds the identity's stanza, unwraps the data key and checks the header MAC. */
async function unlock(h: Header, identity: Identity): Promise<{ dataKey: Bytes; keys: Keys }> {
  try {
    const stanza = h.stanzas.find((s) => equal(s.keyId, identity.keyId));
    if (!stanza) throw new DecryptError();
    const s = await suite();
    const sk = await s.kem.importKey("raw", copy(identity.secretKey).buffer, false);
    const dataKey = new Uint8Array(
      await s.open({ recipientKey: sk, enc: stanza.enc, info: concat(STANZA_INFO, h.docId) }, stanza.wrapped, stanza.keyId),
    );
    if (dataKey.length !== 32) throw new DecryptError();
    const keys = await deriveKeys(dataKey, h.nonce, h.docId);
    if (!(await crypto.subtle.verify("HMAC", keys.mac, h.mac, authenticatedBytes(h)))) throw new DecryptError();
    return { dataKey, keys };
  } catch {
    throw new DecryptError();
  }
}

async function checkRecipients(recipients: Uint8Array[]): Promise<void> {
  if (recipients.length === 0) throw new RecipientsError("at least one recipient is needed");
  if (recipients.length > MAX_STANZAS) throw new RecipientsError("too many recipients");
  const ids = await Promise.all(recipients.map(keyId));
  if (ids.some((a, i) => ids.some((b, j) => j < i && equal(a, b)))) {
    throw new RecipientsError("a recipient is listed twice");
  }
}

// ---------------------------------------------------------------------------------------------
// Reading a source in whole pieces

/** Pulls pieces from a source and fills buffers from them, keeping what it did not hand out. */
class SourceReader {
  private readonly it: AsyncIterator<Uint8Array> | Iterator<Uint8Array>;
  private pending: Uint8Array = new Uint8Array(0);
  private ended = false;

  constructor(source: Source) {
    if (typeof (source as ReadableStream<Uint8Array>).getReader === "function") {
      const reader = (source as ReadableStream<Uint8Array>).getReader();
      this.it = {
        next: async () => {
          const r = await reader.read();
          return r.done ? { done: true, value: undefined } : { done: false, value: r.value };
        },
        return: async () => {
          reader.releaseLock();
          return { done: true, value: undefined };
        },
      };
    } else if (Symbol.asyncIterator in source) {
      this.it = (source as AsyncIterable<Uint8Array>)[Symbol.asyncIterator]();
    } else {
      this.it = (source as Iterable<Uint8Array>)[Symbol.iterator]();
    }
  }

  /** Fills `buf` from `from` on until it is full or the source ends; returns the bytes it holds. */
  async fill(buf: Uint8Array, from: number): Promise<number> {
    let at = from;
    while (at < buf.length) {
      if (this.pending.length === 0) {
        if (this.ended) break;
        const r = await this.it.next();
        if (r.done) {
          this.ended = true;
          break;
        }
        this.pending = r.value;
        continue;
      }
      const take = Math.min(this.pending.length, buf.length - at);
      buf.set(this.pending.subarray(0, take), at);
      this.pending = this.pending.subarray(take);
      at += take;
    }
    return at;
  }

  async close(): Promise<void> {
    await this.it.return?.();
  }
}

// ---------------------------------------------------------------------------------------------
// Sealing

export interface SealOptions {
  /** The document id (16 bytes, the UUID's bytes). */
  docId: Uint8Array;
  /** X25519 public keys (32 bytes each), in stanza order. */
  recipients: Uint8Array[];
  /** Draws: data key 32, payload nonce 16, salt 32, then 32 bytes of HPKE ikm per recipient. */
  rng?: Rng;
  /** Called with the plaintext bytes read so far, after each chunk. */
  onProgress?: (plaintextBytes: number) => void;
}

/** Encrypts chunk by chunk; `seal` drives it. Exposed for callers that push pieces themselves. */
export class Sealer {
  private counter = 0;
  private finished = false;
  /** Plaintext bytes sealed so far. */
  plaintextLen = 0;
  /** Payload bytes produced so far. */
  payloadLen = 0;

  private constructor(
    readonly header: Header,
    readonly headerBytes: Bytes,
    private readonly keys: Keys,
    private readonly salt: Bytes,
    private readonly ptHash: AsyncHasher,
    private readonly ctHash: Awaited<ReturnType<typeof sha256Hasher>>,
  ) {}

  static async create(opts: SealOptions): Promise<Sealer> {
    if (opts.docId.length !== 16) throw new Error("a document id is 16 bytes");
    await checkRecipients(opts.recipients);
    const rng = opts.rng ?? systemRng;
    const dataKey = rng(32);
    const nonce = rng(16);
    const salt = rng(32);
    const docId = copy(opts.docId);
    const stanzas: Stanza[] = [];
    for (const r of opts.recipients) stanzas.push(await wrap(dataKey, docId, r, rng));
    const keys = await deriveKeys(dataKey, nonce, docId);
    dataKey.fill(0);
    const header: Header = { docId, nonce, stanzas, mac: new Uint8Array(32) };
    header.mac = await headerMac(keys, header);
    return new Sealer(header, encodeHeader(header), keys, salt, await offThreadSha256(), await sha256Hasher());
  }

  /** Seals one chunk (`CHUNK_SIZE` bytes unless it is the last) and returns `ciphertext ‖ tag`. */
  async sealChunk(plain: Uint8Array, last: boolean): Promise<Bytes> {
    return (await this.sealChunks([plain], last))[0]!;
  }

  /**
   * Seals consecutive chunks at once (the last of them is the envelope's last when `last`):
   * the encryptions run concurrently — WebCrypto works off the calling thread, so one call in
   * flight at a time would leave it idle between chunks — and the hashes see them in order.
   * WebCrypto copies its input when called, so the caller may reuse `plains`' memory after.
   */
  async sealChunks(plains: Uint8Array[], last: boolean): Promise<Bytes[]> {
    if (this.finished) throw new Error("the last chunk was sealed already");
    plains.forEach((p, i) => {
      if (!(last && i === plains.length - 1) && p.length !== CHUNK_SIZE) throw new Error("only the last chunk may be short");
    });
    this.finished = last;
    const first = this.counter;
    const cts = plains.map((plain, i) => {
      this.ptHash.update(plain);
      const iv = chunkNonce(first + i, last && i === plains.length - 1);
      return crypto.subtle.encrypt({ name: "AES-GCM", iv }, this.keys.payload, plain as Bytes);
    });
    this.counter += plains.length;
    const out: Bytes[] = [];
    for (const [i, pending] of cts.entries()) {
      const ct = new Uint8Array(await pending);
      this.ctHash.update(ct);
      this.plaintextLen += plains[i]!.length;
      this.payloadLen += ct.length;
      out.push(ct);
    }
    return out;
  }

  async output(): Promise<SealOutput> {
    const plaintextSha256 = await this.ptHash.digest();
    const d = await documentCommitment(this.salt, plaintextSha256);
    return {
      header: this.header,
      plaintextLen: this.plaintextLen,
      payloadLen: this.payloadLen,
      plaintextSha256,
      payloadSha256: this.ctHash.digest(),
      salt: d.salt,
      commitment: d.commitment,
      leaf: d.leaf,
    };
  }
}

/**
 * Encrypts `input`, yielding the header and then each payload chunk (`ciphertext ‖ tag`, a fresh
 * buffer each, safe to transfer); returns the lengths, digests and commitment when done. Holds
 * one chunk of plaintext at a time. If it throws, discard everything it yielded.
 */
export async function* seal(input: Source, opts: SealOptions): AsyncGenerator<Bytes, SealOutput, void> {
  const sealer = await Sealer.create(opts);
  yield sealer.headerBytes;
  const reader = new SourceReader(input);
  // A batch of chunks at a time, plus one byte of look-ahead that tells whether the batch's
  // last chunk is the envelope's last.
  const batch = BATCH_CHUNKS * CHUNK_SIZE;
  const buf = new Uint8Array(batch + 1);
  let held = 0;
  try {
    for (;;) {
      held = await reader.fill(buf, held);
      const last = held <= batch;
      const n = last ? Math.max(1, Math.ceil(held / CHUNK_SIZE)) : BATCH_CHUNKS;
      const plains = Array.from({ length: n }, (_, i) => buf.subarray(i * CHUNK_SIZE, Math.min(held, (i + 1) * CHUNK_SIZE)));
      for (const ct of await sealer.sealChunks(plains, last)) yield ct;
      if (last) break;
      buf[0] = buf[batch]!;
      held = 1;
      opts.onProgress?.(sealer.plaintextLen);
    }
  } finally {
    buf.fill(0);
    await reader.close();
  }
  const out = await sealer.output();
  opts.onProgress?.(out.plaintextLen);
  return out;
}

// ---------------------------------------------------------------------------------------------
// Opening

export interface OpenOptions {
  /** The document id the envelope must have been sealed for. */
  docId: Uint8Array;
  identity: Identity;
  /** The header, when it is kept apart from the payload (then `input` is the payload only). */
  header?: Header | Uint8Array;
  /** Called with the plaintext bytes released so far, after each chunk. */
  onProgress?: (plaintextBytes: number) => void;
}

/**
 * Decrypts `header ‖ payload` (or only the payload when `opts.header` is given), yielding each
 * chunk's plaintext only after its tag verified; returns the length and SHA-256. Every failure
 * is one `DecryptError`. A truncated input fails only at its end: on any error, discard all
 * output.
 */
export async function* open(input: Source, opts: OpenOptions): AsyncGenerator<Bytes, OpenOutput, void> {
  const reader = new SourceReader(input);
  const batch = BATCH_CHUNKS * CHUNK_CT_SIZE;
  const buf = new Uint8Array(batch + 1);
  try {
    let header: Header;
    try {
      if (opts.header instanceof Uint8Array) {
        header = parseHeader(opts.header).header;
      } else if (opts.header) {
        header = opts.header;
      } else {
        header = await readHeader(reader);
      }
    } catch {
      throw new DecryptError();
    }
    if (!equal(header.docId, opts.docId)) throw new DecryptError();
    const { dataKey, keys } = await unlock(header, opts.identity);
    dataKey.fill(0);
    const ptHash = await offThreadSha256();
    let counter = 0;
    let total = 0;
    let held = 0;
    for (;;) {
      const n = await reader.fill(buf, held);
      // More than a batch's worth: the batch's last chunk is not the envelope's last.
      const last = n <= batch;
      const count = last ? Math.max(1, Math.ceil(n / CHUNK_CT_SIZE)) : BATCH_CHUNKS;
      // Decrypt the batch's chunks concurrently (see `sealChunks`); release them in order.
      const pending = Array.from({ length: count }, (_, i) => {
        const ct = buf.subarray(i * CHUNK_CT_SIZE, Math.min(n, (i + 1) * CHUNK_CT_SIZE));
        const isLast = last && i === count - 1;
        if (ct.length < TAG_LEN || (isLast && counter + i > 0 && ct.length === TAG_LEN)) return Promise.reject(new DecryptError());
        return crypto.subtle.decrypt({ name: "AES-GCM", iv: chunkNonce(counter + i, isLast) }, keys.payload, ct);
      });
      let plains: ArrayBuffer[];
      try {
        plains = await Promise.all(pending);
      } catch {
        throw new DecryptError();
      }
      for (const p of plains) {
        const plain = new Uint8Array(p);
        ptHash.update(plain);
        total += plain.length;
        yield plain;
      }
      counter += count;
      opts.onProgress?.(total);
      if (last) break;
      buf[0] = buf[batch]!;
      held = 1;
    }
    return { plaintextLen: total, plaintextSha256: await ptHash.digest() };
  } finally {
    await reader.close();
  }
}

/** Reads exactly one header from the reader. */
async function readHeader(reader: SourceReader): Promise<Header> {
  const fixed = new Uint8Array(FIXED_LEN);
  if ((await reader.fill(fixed, 0)) < FIXED_LEN) throw new MalformedError("header is truncated");
  const rest = new Uint8Array(headerLen(stanzaCount(fixed)) - FIXED_LEN);
  if ((await reader.fill(rest, 0)) < rest.length) throw new MalformedError("header is truncated");
  return parseHeader(concat(fixed, rest)).header;
}

// ---------------------------------------------------------------------------------------------
// Recipients (granting and revoking)

/** Adds a stanza for `publicKey` (a key holder granting access), recomputing the MAC. */
export async function addRecipient(h: Header, identity: Identity, publicKey: Uint8Array, rng: Rng = systemRng): Promise<Header> {
  const { dataKey, keys } = await unlock(h, identity);
  try {
    const id = await keyId(publicKey);
    if (h.stanzas.some((s) => equal(s.keyId, id))) throw new RecipientsError("already a recipient");
    if (h.stanzas.length >= MAX_STANZAS) throw new RecipientsError("too many recipients");
    const out: Header = { ...h, stanzas: [...h.stanzas, await wrap(dataKey, h.docId, publicKey, rng)] };
    out.mac = await headerMac(keys, out);
    return out;
  } finally {
    dataKey.fill(0);
  }
}

/** Removes the stanza for `keyId` (revocation), recomputing the MAC. The last stanza stays. */
export async function removeRecipient(h: Header, identity: Identity, keyId: Uint8Array): Promise<Header> {
  const { dataKey, keys } = await unlock(h, identity);
  dataKey.fill(0);
  if (!h.stanzas.some((s) => equal(s.keyId, keyId))) throw new RecipientsError("not a recipient");
  if (h.stanzas.length === 1) throw new RecipientsError("the last recipient cannot be removed");
  const out: Header = { ...h, stanzas: h.stanzas.filter((s) => !equal(s.keyId, keyId)) };
  out.mac = await headerMac(keys, out);
  return out;
}

// ---------------------------------------------------------------------------------------------
// Adapters

/** Runs a generator to its end, collecting what it yields and what it returns. */
export async function collect<R>(gen: AsyncGenerator<Bytes, R, void>): Promise<{ bytes: Bytes; result: R }> {
  const parts: Bytes[] = [];
  for (;;) {
    const r = await gen.next();
    if (r.done) return { bytes: concat(...parts), result: r.value };
    parts.push(r.value);
  }
}

/**
 * A ReadableStream of what `gen` yields (pulled one piece at a time, so a slow consumer holds
 * the producer back); `done` settles with the generator's return value or its error.
 */
export function toReadableStream<R>(gen: AsyncGenerator<Bytes, R, void>): { stream: ReadableStream<Bytes>; done: Promise<R> } {
  let settle!: (r: R) => void;
  let fail!: (e: unknown) => void;
  const done = new Promise<R>((res, rej) => {
    settle = res;
    fail = rej;
  });
  done.catch(() => {}); // the stream's reader sees the error too
  const stream = new ReadableStream<Bytes>({
    async pull(controller) {
      try {
        const r = await gen.next();
        if (r.done) {
          controller.close();
          settle(r.value);
        } else {
          controller.enqueue(r.value);
        }
      } catch (e) {
        controller.error(e);
        fail(e);
      }
    },
    async cancel(reason) {
      await gen.return(undefined as never);
      fail(reason ?? new Error("cancelled"));
    },
  }, { highWaterMark: 1 });
  return { stream, done };
}
