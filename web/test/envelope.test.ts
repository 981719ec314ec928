// Envelope v1 against the Rust implementation's committed vectors, plus round trips and tampering.
import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { concat, fromHex, toHex, type Bytes } from "../src/crypto/bytes";
import {
  CHUNK_CT_SIZE,
  CHUNK_SIZE,
  DecryptError,
  MalformedError,
  RecipientsError,
  addRecipient,
  collect,
  encodeHeader,
  generateIdentity,
  identityFromSecret,
  open,
  parseHeader,
  payloadLen,
  plaintextLen,
  removeRecipient,
  seal,
  toReadableStream,
  type Identity,
} from "../src/crypto/envelope";
import { data, pieces, repoFile, testRng } from "./helpers";

interface VectorCase {
  plaintext_len: number;
  document_id: string;
  recipient_secret_keys: string[];
  recipient_public_keys: string[];
  rng: string;
  header: string;
  payload: string | null;
  payload_sha256: string;
  plaintext_sha256: string;
  salt: string;
  commitment: string;
  leaf: string;
}

const vectors = JSON.parse(repoFile("core/testdata/envelope-vectors.json")) as { cases: VectorCase[] };
const DOC = new Uint8Array(16).fill(7);
const sha = (b: Uint8Array) => toHex(createHash("sha256").update(b).digest());

async function sealBytes(plain: Uint8Array, to: Identity[], seed: number, pieceSize = 10_000) {
  const { bytes, result } = await collect(
    seal(pieces(plain, pieceSize), { docId: DOC, recipients: to.map((i) => i.publicKey), rng: testRng(seed) }),
  );
  return { file: bytes, info: result };
}

async function openBytes(file: Uint8Array, id: Identity, docId: Uint8Array = DOC): Promise<Bytes> {
  return (await collect(open(pieces(file, 7_777), { docId, identity: id }))).bytes;
}

/** Byte equality without vitest's element-by-element diff (slow on MiBs). */
function expectBytes(got: Uint8Array, want: Uint8Array): void {
  expect(got.length).toBe(want.length);
  expect(Buffer.compare(got, want)).toBe(0);
}

async function ids(n: number): Promise<Identity[]> {
  return Promise.all(Array.from({ length: n }, (_, i) => generateIdentity(testRng(100 + i))));
}

describe("committed vectors (core/testdata/envelope-vectors.json)", () => {
  it("has the five cases", () => expect(vectors.cases.map((c) => c.plaintext_len)).toEqual([0, 5, 100, 65536, 65537]));

  vectors.cases.forEach((c, i) => {
    it(`reproduces case ${i} (${c.plaintext_len} bytes) byte for byte`, async () => {
      const seed = Number(/\[(\d+); 32\]/.exec(c.rng)![1]);
      expect(seed).toBe(40 + i);
      const who = await Promise.all(c.recipient_secret_keys.map((k) => identityFromSecret(fromHex(k))));
      expect(who.map((w) => toHex(w.publicKey))).toEqual(c.recipient_public_keys);
      // The recipients' keys themselves come from the same generator as in Rust.
      // (Rust keeps the secret unclamped, @hpke clamps it: compare the public halves.)
      expect((await ids(2)).map((w) => toHex(w.publicKey))).toEqual(c.recipient_public_keys);
      const { file, info } = await sealBytes(data(c.plaintext_len), who, seed);
      const h = info.header;
      expect(toHex(encodeHeader(h))).toBe(c.header);
      const payload = file.subarray(encodeHeader(h).length);
      if (c.payload !== null) expect(toHex(payload)).toBe(c.payload);
      expect(sha(payload)).toBe(c.payload_sha256);
      expect(toHex(info.payloadSha256)).toBe(c.payload_sha256);
      expect(toHex(info.plaintextSha256)).toBe(c.plaintext_sha256);
      expect(toHex(info.salt)).toBe(c.salt);
      expect(toHex(info.commitment)).toBe(c.commitment);
      expect(toHex(info.leaf)).toBe(c.leaf);
      expect(info.plaintextLen).toBe(c.plaintext_len);
      expect(info.payloadLen).toBe(payload.length);
    });

    it(`opens case ${i} with each listed secret key`, async () => {
      const header = fromHex(c.header);
      const payload =
        c.payload !== null
          ? fromHex(c.payload)
          : (await sealBytes(data(c.plaintext_len), await ids(2), 40 + i)).file.subarray(header.length);
      expect(sha(payload)).toBe(c.payload_sha256);
      const docId = fromHex(c.document_id);
      for (const secret of c.recipient_secret_keys) {
        const id = await identityFromSecret(fromHex(secret));
        const { bytes, result } = await collect(open([concat(header, payload)], { docId, identity: id }));
        expectBytes(bytes, data(c.plaintext_len));
        expect(toHex(result.plaintextSha256)).toBe(c.plaintext_sha256);
        // The header kept apart, as the server stores it.
        const apart = await collect(open([payload], { docId, identity: id, header }));
        expectBytes(apart.bytes, data(c.plaintext_len));
      }
    });
  });
});

describe("round trips", () => {
  it("at chunk edges and over several MiB, in uneven pieces", async () => {
    const who = await ids(2);
    const sizes = [0, 1, CHUNK_SIZE - 1, CHUNK_SIZE, CHUNK_SIZE + 1, 2 * CHUNK_SIZE, 3 * CHUNK_SIZE + 5, 64 * CHUNK_SIZE, 5 * 1024 * 1024 + 12_345];
    for (const n of sizes) {
      const plain = data(n);
      const { file, info } = await sealBytes(plain, who, 1, 33_333);
      expect(info.plaintextLen).toBe(n);
      expect(info.payloadLen).toBe(payloadLen(n));
      expect(plaintextLen(info.payloadLen)).toBe(n);
      const hlen = encodeHeader(info.header).length;
      expect(file.length).toBe(hlen + info.payloadLen);
      expect(toHex(info.plaintextSha256)).toBe(sha(plain));
      expect(toHex(info.payloadSha256)).toBe(sha(file.subarray(hlen)));
      for (const id of who) expectBytes(await openBytes(file, id), plain);
      expect(parseHeader(file).header).toEqual(info.header);
    }
  });

  it("streams through ReadableStreams both ways", async () => {
    const who = await ids(1);
    const plain = data(3 * CHUNK_SIZE + 77);
    const input = new ReadableStream<Uint8Array>({
      start(c) {
        for (const p of pieces(plain, 50_000)) c.enqueue(p);
        c.close();
      },
    });
    const sealed = toReadableStream(seal(input, { docId: DOC, recipients: [who[0]!.publicKey] }));
    const opened = toReadableStream(open(sealed.stream, { docId: DOC, identity: who[0]! }));
    const parts: Uint8Array[] = [];
    const reader = opened.stream.getReader();
    for (let r = await reader.read(); !r.done; r = await reader.read()) parts.push(r.value);
    expectBytes(concat(...parts), plain);
    expect(toHex((await opened.done).plaintextSha256)).toBe(toHex((await sealed.done).plaintextSha256));
  });

  it("yields each full chunk as its own buffer", async () => {
    const who = await ids(1);
    const gen = seal([data(2 * CHUNK_SIZE + 1)], { docId: DOC, recipients: [who[0]!.publicKey] });
    const sizes: number[] = [];
    for (let r = await gen.next(); !r.done; r = await gen.next()) sizes.push(r.value.byteLength);
    expect(sizes.slice(1)).toEqual([CHUNK_CT_SIZE, CHUNK_CT_SIZE, 17]);
  });
});

describe("tampering is refused with one opaque error", () => {
  async function refused(file: Uint8Array, id: Identity, docId: Uint8Array = DOC) {
    await expect(openBytes(file, id, docId)).rejects.toBeInstanceOf(DecryptError);
  }

  it("every bit of a small envelope", async () => {
    const who = await ids(1);
    const { file } = await sealBytes(data(100), who, 13);
    for (let byte = 0; byte < file.length; byte++) {
      const bad = file.slice();
      bad[byte]! ^= 1 << (byte % 8);
      await refused(bad, who[0]!);
    }
  });

  it("truncation anywhere, at chunk boundaries, and extension", async () => {
    const who = await ids(1);
    const { file, info } = await sealBytes(data(3 * CHUNK_SIZE + 10), who, 3);
    const h = encodeHeader(info.header).length;
    for (let k = 0; k <= 3; k++) await refused(file.subarray(0, h + k * CHUNK_CT_SIZE), who[0]!);
    for (const cut of [0, 10, 45, h - 1, h, h + 1, h + 15, h + 16, h + CHUNK_CT_SIZE + 1, file.length - 1]) {
      await refused(file.subarray(0, cut), who[0]!);
    }
    await refused(concat(file, new Uint8Array([0])), who[0]!);
    await refused(concat(file, file.subarray(h, h + CHUNK_CT_SIZE)), who[0]!);
    const two = await sealBytes(data(2 * CHUNK_SIZE), who, 3);
    await refused(two.file.subarray(0, encodeHeader(two.info.header).length + CHUNK_CT_SIZE), who[0]!);
  });

  it("dropped, repeated and reordered chunks, and a payload under another header", async () => {
    const who = await ids(1);
    const { file, info } = await sealBytes(data(3 * CHUNK_SIZE + 9), who, 15);
    const h = encodeHeader(info.header).length;
    const chunk = (i: number) => file.subarray(h + i * CHUNK_CT_SIZE, Math.min(file.length, h + (i + 1) * CHUNK_CT_SIZE));
    const head = file.subarray(0, h);
    await refused(concat(head, chunk(0), chunk(2), chunk(3)), who[0]!);
    await refused(concat(head, chunk(0), chunk(0), chunk(1), chunk(2), chunk(3)), who[0]!);
    await refused(concat(head, chunk(1), chunk(0), chunk(2), chunk(3)), who[0]!);
    const other = await sealBytes(data(3 * CHUNK_SIZE + 9), who, 16);
    await refused(concat(head, other.file.subarray(h)), who[0]!);
  });

  it("wrong key, wrong document, not an envelope, a stanza stripped without the key", async () => {
    const who = await ids(2);
    const { file, info } = await sealBytes(data(1000), who, 1);
    const stranger = await generateIdentity(testRng(77));
    await refused(file, stranger);
    await refused(file, who[0]!, new Uint8Array(16).fill(8));
    await refused(new TextEncoder().encode("not an envelope at all"), who[0]!);
    const stripped = encodeHeader({ ...info.header, stanzas: info.header.stanzas.slice(0, 1) });
    await refused(concat(stripped, file.subarray(encodeHeader(info.header).length)), who[0]!);
  });
});

describe("recipients", () => {
  it("a key holder adds and removes a recipient; the payload stays", async () => {
    const who = await ids(3);
    const { file, info } = await sealBytes(data(5000), who.slice(0, 1), 5);
    const payload = file.subarray(encodeHeader(info.header).length);
    const added = await addRecipient(info.header, who[0]!, who[1]!.publicKey, testRng(6));
    const withIt = concat(encodeHeader(added), payload);
    expectBytes(await openBytes(withIt, who[1]!), data(5000));
    expectBytes(await openBytes(withIt, who[0]!), data(5000));
    await expect(openBytes(withIt, who[2]!)).rejects.toBeInstanceOf(DecryptError);
    await expect(addRecipient(added, who[2]!, who[2]!.publicKey)).rejects.toBeInstanceOf(DecryptError);
    await expect(addRecipient(added, who[0]!, who[1]!.publicKey)).rejects.toBeInstanceOf(RecipientsError);
    const removed = await removeRecipient(added, who[0]!, who[1]!.keyId);
    const without = concat(encodeHeader(removed), payload);
    await expect(openBytes(without, who[1]!)).rejects.toBeInstanceOf(DecryptError);
    expectBytes(await openBytes(without, who[0]!), data(5000));
    await expect(removeRecipient(removed, who[0]!, who[0]!.keyId)).rejects.toBeInstanceOf(RecipientsError);
  });

  it("checks recipient lists when sealing", async () => {
    const who = await ids(1);
    const sealWith = (recipients: Uint8Array[]) => collect(seal([], { docId: DOC, recipients }));
    await expect(sealWith([])).rejects.toBeInstanceOf(RecipientsError);
    await expect(sealWith([who[0]!.publicKey, who[0]!.publicKey])).rejects.toBeInstanceOf(RecipientsError);
    await expect(sealWith([new Uint8Array(32)])).rejects.toBeInstanceOf(RecipientsError);
  });

  it("names malformed headers when parsing without a key", async () => {
    const who = await ids(1);
    const { file } = await sealBytes(new Uint8Array([120]), who, 1);
    expect(() => parseHeader(file.subarray(0, 10))).toThrow(MalformedError);
    const bad = file.slice();
    bad[0] = 88;
    expect(() => parseHeader(bad)).toThrow("not a Pramana envelope");
    const none = file.slice();
    none[44] = 0;
    none[45] = 0;
    expect(() => parseHeader(none)).toThrow("stanza count out of range");
  });
});

describe("framing arithmetic", () => {
  it("inverts", () => {
    for (const n of [0, 1, 16, CHUNK_SIZE - 1, CHUNK_SIZE, CHUNK_SIZE + 1, 10 * CHUNK_SIZE, 2 ** 40]) {
      expect(plaintextLen(payloadLen(n))).toBe(n);
    }
    for (const bad of [0, 1, 15, CHUNK_CT_SIZE + 16, CHUNK_CT_SIZE + 3]) expect(plaintextLen(bad)).toBeNull();
  });
});
