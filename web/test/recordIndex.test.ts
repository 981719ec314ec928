// The local records index: entries encrypted at rest under a key the worker derives from the
// unlocked keystore; only documents not yet indexed are decrypted; deleted documents' entries
// go; another key, another account or a swapped entry reads nothing; a failed read is retried.
import { MessageChannel } from "node:worker_threads";
import { describe, expect, it } from "vitest";
import { CryptoClient, type WorkerLike } from "../src/crypto/client";
import { createKeystore, serializeKeystore } from "../src/crypto/keystore";
import { deriveIndexKey, serve, type Port } from "../src/crypto/worker";
import type { DocumentView } from "../src/lib/documents";
import { EXTRACT_VERSION, RecordIndex, memoryStore, openEntry, type SyncOptions } from "../src/lib/recordIndex";
import { recordOf as readPlainForTest, type ReadDocument } from "../src/lib/records";
import { sample } from "../scripts/fhir-gen.mjs";

const SUBJECT = "6f1c2a9e-0000-4000-8000-000000000001";

const secret = (n: number) => new Uint8Array(32).fill(n);

/** Documents as the API lists them, with their plaintexts (the sample set, and one PDF). */
function library() {
  const texts = new Map<string, string>();
  const docs: DocumentView[] = [];
  sample().forEach((d, i) => {
    const id = `00000000-0000-4000-8000-${String(i).padStart(12, "0")}`;
    const text = JSON.stringify(d.bundle);
    texts.set(id, text);
    docs.push({ id, hi_type: d.hiType, care_date: d.careDate, plaintext_size: text.length, plaintext_sha256: `${i}`.padStart(64, "a"), deleted_at: null } as unknown as DocumentView);
  });
  const pdf = "00000000-0000-4000-8000-0000000000ff";
  texts.set(pdf, "%PDF-1.4 a letter");
  docs.push({ id: pdf, hi_type: "HealthDocumentRecord", care_date: "2025-01-01", plaintext_size: 17, plaintext_sha256: "f".repeat(64), deleted_at: null } as unknown as DocumentView);
  return { docs, texts };
}

/** `read` for sync, counting what it decrypts. */
function reader(texts: Map<string, string>) {
  const seen: string[] = [];
  const read: SyncOptions["read"] = async (doc) => {
    seen.push(doc.id);
    return readPlainForTest(texts.get(doc.id)!, doc);
  };
  return { seen, read };
}

const opts = (read: SyncOptions["read"], extra: Partial<SyncOptions> = {}): SyncOptions => ({ maxBytes: 2 << 20, read, ...extra });

describe("records index", () => {
  it("decrypts each document once; the next open reads everything from the index", async () => {
    const { docs, texts } = library();
    const store = memoryStore();
    const key = await deriveIndexKey(secret(1), SUBJECT);
    const first = reader(texts);
    const r1 = await new RecordIndex(store, key, SUBJECT).sync(docs, opts(first.read));
    expect(first.seen).toHaveLength(docs.length);
    // Five records; the malformed bundle and the PDF are not records.
    expect(r1.records).toHaveLength(5);
    expect(r1.skipped).toBe(2);
    expect(r1.decrypted).toBe(docs.length);
    expect(store.map.size).toBe(docs.length);

    // Another page load: the key derived again from the same keys; nothing is decrypted.
    const again = reader(texts);
    let indexed: ReadDocument[] = [];
    const r2 = await new RecordIndex(store, await deriveIndexKey(secret(1), SUBJECT), SUBJECT).sync(
      docs,
      opts(again.read, { onIndexed: (records) => (indexed = records) }),
    );
    expect(again.seen).toEqual([]);
    expect(r2.records).toEqual(r1.records);
    expect(indexed).toEqual(r1.records);
    expect(r2.skipped).toBe(2);

    // A new document: only it is decrypted.
    const extra = { ...docs[0]!, id: "00000000-0000-4000-8000-0000000000aa", plaintext_sha256: "b".repeat(64) } as DocumentView;
    texts.set(extra.id, texts.get(docs[0]!.id)!);
    const third = reader(texts);
    const r3 = await new RecordIndex(store, key, SUBJECT).sync([...docs, extra], opts(third.read));
    expect(third.seen).toEqual([extra.id]);
    expect(r3.records).toHaveLength(6);
  });

  it("keeps nothing readable at rest: entries are ciphertext bound to the account and the document", async () => {
    const { docs, texts } = library();
    const store = memoryStore();
    const key = await deriveIndexKey(secret(1), SUBJECT);
    await new RecordIndex(store, key, SUBJECT).sync(docs, opts(reader(texts).read));
    const atRest = new TextDecoder("latin1").decode(
      new Uint8Array([...store.map.values()].flatMap((s) => [...s.iv, ...s.ct])),
    );
    for (const word of ["HbA1c", "Metformin", "4548-4", "Hospital", "DiagnosticReport"]) expect(atRest).not.toContain(word);
    const [id, sealed] = [...store.map.entries()][0]!;
    expect((await openEntry(key, SUBJECT, id, sealed))?.version).toBe(EXTRACT_VERSION);
    // Another keystore's key, another account, another document: nothing opens.
    expect(await openEntry(await deriveIndexKey(secret(2), SUBJECT), SUBJECT, id, sealed)).toBeNull();
    expect(await openEntry(key, "another-account", id, sealed)).toBeNull();
    expect(await openEntry(key, SUBJECT, docs[1]!.id, sealed)).toBeNull();
    const flipped = { ...sealed, ct: sealed.ct.map((b, i) => (i === 3 ? b ^ 1 : b)) };
    expect(await openEntry(key, SUBJECT, id, flipped)).toBeNull();
  });

  it("reads again what it cannot open or what changed: other keys, swapped entries, other bytes, a newer reader", async () => {
    const { docs, texts } = library();
    const store = memoryStore();
    await new RecordIndex(store, await deriveIndexKey(secret(1), SUBJECT), SUBJECT).sync(docs, opts(reader(texts).read));
    // Keys from another keystore: every document is decrypted again (and re-indexed under them).
    const other = reader(texts);
    const otherKey = await deriveIndexKey(secret(2), SUBJECT);
    await new RecordIndex(store, otherKey, SUBJECT).sync(docs, opts(other.read));
    expect(other.seen).toHaveLength(docs.length);
    // Two entries swapped: both are read again.
    const [a, b] = [docs[0]!.id, docs[1]!.id];
    const sa = store.map.get(a)!;
    store.map.set(a, store.map.get(b)!);
    store.map.set(b, sa);
    const swapped = reader(texts);
    await new RecordIndex(store, otherKey, SUBJECT).sync(docs, opts(swapped.read));
    expect(swapped.seen.sort()).toEqual([a, b].sort());
    // A listing that says other bytes: read again.
    const changed = docs.map((d, i) => (i === 2 ? { ...d, plaintext_sha256: "c".repeat(64) } : d));
    const again = reader(texts);
    await new RecordIndex(store, otherKey, SUBJECT).sync(changed, opts(again.read));
    expect(again.seen).toEqual([docs[2]!.id]);
  });

  it("drops deleted documents' entries and skips large ones without decrypting them", async () => {
    const { docs, texts } = library();
    const store = memoryStore();
    const key = await deriveIndexKey(secret(1), SUBJECT);
    await new RecordIndex(store, key, SUBJECT).sync(docs, opts(reader(texts).read));
    const [gone, shredded, ...rest] = docs;
    const listing = [{ ...shredded!, deleted_at: "2026-11-30T00:00:00Z" } as DocumentView, ...rest];
    const r = await new RecordIndex(store, key, SUBJECT).sync(listing, opts(reader(texts).read));
    expect(store.map.has(gone!.id)).toBe(false);
    expect(store.map.has(shredded!.id)).toBe(false);
    expect(r.records.map((x) => x.id)).not.toContain(gone!.id);
    // Over the size limit: never decrypted, counted as skipped.
    const big = [...rest.map((d) => ({ ...d, plaintext_size: 3 << 20 }))];
    const none = reader(texts);
    const r2 = await new RecordIndex(memoryStore(), key, SUBJECT).sync(big, opts(none.read));
    expect(none.seen).toEqual([]);
    expect(r2.skipped).toBe(big.length);
    // A deletion elsewhere removes the entry at once.
    await new RecordIndex(store, key, SUBJECT).remove([rest[0]!.id]);
    expect(store.map.has(rest[0]!.id)).toBe(false);
  });

  it("retries a document that failed to read, and keeps what it read before a cancel", async () => {
    const { docs, texts } = library();
    const store = memoryStore();
    const key = await deriveIndexKey(secret(1), SUBJECT);
    const failing: SyncOptions["read"] = async (doc) => {
      if (doc.id === docs[0]!.id) throw new Error("network");
      return readPlainForTest(texts.get(doc.id)!, doc);
    };
    const r = await new RecordIndex(store, key, SUBJECT).sync(docs, opts(failing));
    expect(store.map.has(docs[0]!.id)).toBe(false);
    expect(r.skipped).toBe(3);
    const next = reader(texts);
    await new RecordIndex(store, key, SUBJECT).sync(docs, opts(next.read));
    expect(next.seen).toEqual([docs[0]!.id]);

    const ctl = new AbortController();
    const fresh = memoryStore();
    const partial: SyncOptions["read"] = async (doc) => {
      if (doc.id === docs[2]!.id) ctl.abort();
      return readPlainForTest(texts.get(doc.id)!, doc);
    };
    const stopped = await new RecordIndex(fresh, key, SUBJECT).sync(docs, opts(partial, { signal: ctl.signal }));
    expect(stopped.stopped).toBe(true);
    expect(fresh.map.size).toBe(3);
  });

  it("gets its key from the worker, derived from the unlocked keys, and not extractable", async () => {
    const { port1, port2 } = new MessageChannel();
    serve(port1 as unknown as Port);
    const client = new CryptoClient(port2 as unknown as WorkerLike);
    const { file } = await createKeystore("test-only passphrase, not a secret", { kdf: { m_kib: 256, t: 1, p: 1 } });
    const unlocked = await client.unlock(serializeKeystore(file), "test-only passphrase, not a secret");
    const key = await client.indexKey(unlocked.key, SUBJECT);
    expect(key.extractable).toBe(false);
    expect(key.algorithm).toMatchObject({ name: "AES-GCM", length: 256 });
    await expect(crypto.subtle.exportKey("raw", key)).rejects.toThrow();
    // The same keys give the same key (an entry written before opens after a reload).
    const { docs, texts } = library();
    const store = memoryStore();
    await new RecordIndex(store, key, SUBJECT).sync(docs.slice(0, 2), opts(reader(texts).read));
    const again = await client.indexKey(unlocked.key, SUBJECT);
    const second = reader(texts);
    await new RecordIndex(store, again, SUBJECT).sync(docs.slice(0, 2), opts(second.read));
    expect(second.seen).toEqual([]);
    // Locked: the worker derives nothing.
    await client.forget(unlocked.key);
    await expect(client.indexKey(unlocked.key, SUBJECT)).rejects.toThrow();
    port2.close();
  });

  it("keeps goals and reminders encrypted beside the entries, untouched by document syncs", async () => {
    const { docs, texts } = library();
    const store = memoryStore();
    const key = await deriveIndexKey(secret(1), SUBJECT);
    const index = new RecordIndex(store, key, SUBJECT);
    expect(await index.settings()).toEqual({ goals: [], reminders: [] });
    const settings = {
      goals: [{ code: "4548-4", target: 7, direction: "below" as const }],
      reminders: [{ medicine: "Metformin 500 mg tablet", time: "08:00" }],
    };
    await index.saveSettings(settings);
    await index.sync(docs, opts(reader(texts).read));
    await index.sync([], opts(reader(texts).read)); // every document gone: the settings stay
    expect(await new RecordIndex(store, await deriveIndexKey(secret(1), SUBJECT), SUBJECT).settings()).toEqual(settings);
    const atRest = new TextDecoder("latin1").decode(new Uint8Array([...store.map.values()].flatMap((s) => [...s.ct])));
    expect(atRest).not.toContain("Metformin");
    expect(atRest).not.toContain("4548-4");
    // Other keys read no settings.
    expect(await new RecordIndex(store, await deriveIndexKey(secret(2), SUBJECT), SUBJECT).settings()).toEqual({ goals: [], reminders: [] });
  });
});
