// The local records index: what the records page read from each document, kept in this
// browser's IndexedDB so that the page over hundreds of documents opens without decrypting
// them all again. Every entry is encrypted at rest (AES-256-GCM under a key the crypto worker
// derives from the unlocked keystore, not extractable; the document id and the account are its
// associated data, so entries cannot be swapped). Locked or signed out, the page holds no key
// and the entries are unreadable; a deleted document's entry is removed. Nothing here is sent
// anywhere. Format: docs/records-index.md.
import { clear, createStore, delMany, entries, setMany, type UseStore } from "idb-keyval";
import { onUnlockedChange } from "../state/keys";
import type { DocumentView } from "./documents";
import type { ReadDocument } from "./records";

/** What the index keeps of one document, before encryption. */
export interface Entry {
  /** The document's recorded plaintext SHA-256: an entry for other bytes is not used. */
  sha: string;
  /** `EXTRACT_VERSION` when read: a reader that changed reads the document again. */
  version: number;
  /** What it says, or null when it is not a record (not a FHIR bundle, failed the checks). */
  record: ReadDocument | null;
}

/** One entry as stored: `iv ‖ AES-256-GCM(entry as JSON)`. */
export interface Sealed {
  v: 1;
  iv: Uint8Array;
  ct: Uint8Array;
}

/** A health goal: keep a test's value below or above a target (in the test's chart unit). */
export interface Goal {
  /** The series' LOINC code (or `text:<name>`). */
  code: string;
  target: number;
  direction: "below" | "above";
}

/** A daily medicine reminder at a local time ("08:00"). */
export interface Reminder {
  medicine: string;
  time: string;
}

/** The patient's own settings kept in the index beside the documents' entries. */
export interface Settings {
  goals: Goal[];
  reminders: Reminder[];
}

/** Keys of entries that are not documents (document ids are UUIDs, so never start with this). */
export const META_PREFIX = "meta:";
const SETTINGS_KEY = `${META_PREFIX}settings`;

/** Raise when what `extract` reads from a document changes, so indexes are rebuilt. */
export const EXTRACT_VERSION = 1;

/** Where sealed entries live: IndexedDB in the page (`idbStore`), a Map in tests. */
export interface IndexStore {
  all(): Promise<[string, Sealed][]>;
  put(items: [string, Sealed][]): Promise<void>;
  del(ids: string[]): Promise<void>;
  clear(): Promise<void>;
}

const dbName = (subjectId: string) => `pramana-records:${subjectId}`;

/** The account's index in this browser's IndexedDB (one database per account). */
export function idbStore(subjectId: string): IndexStore {
  const store: UseStore = createStore(dbName(subjectId), "entries");
  return {
    all: () => entries<string, Sealed>(store),
    put: (items) => setMany(items, store),
    del: (ids) => delMany(ids, store),
    clear: () => clear(store),
  };
}

/** An index that lives only as long as the page (tests; a browser without IndexedDB). */
export function memoryStore(): IndexStore & { map: Map<string, Sealed> } {
  const map = new Map<string, Sealed>();
  return {
    map,
    all: async () => [...map.entries()],
    put: async (items) => items.forEach(([k, v]) => map.set(k, v)),
    del: async (ids) => ids.forEach((id) => map.delete(id)),
    clear: async () => map.clear(),
  };
}

const enc = new TextEncoder();
const dec = new TextDecoder();
const aad = (scope: string, id: string) => enc.encode(`pramana-records-v1|${scope}|${id}`);

async function sealValue(key: CryptoKey, scope: string, id: string, value: unknown): Promise<Sealed> {
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const ct = await crypto.subtle.encrypt({ name: "AES-GCM", iv, additionalData: aad(scope, id) }, key, enc.encode(JSON.stringify(value)));
  return { v: 1, iv, ct: new Uint8Array(ct) };
}

async function openSealed(key: CryptoKey, scope: string, id: string, sealed: Sealed): Promise<unknown> {
  try {
    if (sealed?.v !== 1) return null;
    const iv = sealed.iv as Uint8Array<ArrayBuffer>;
    const pt = await crypto.subtle.decrypt({ name: "AES-GCM", iv, additionalData: aad(scope, id) }, key, sealed.ct as Uint8Array<ArrayBuffer>);
    return JSON.parse(dec.decode(pt)) as unknown;
  } catch {
    return null;
  }
}

export function sealEntry(key: CryptoKey, scope: string, id: string, entry: Entry): Promise<Sealed> {
  return sealValue(key, scope, id, entry);
}

/** The entry, or null when it does not open under this key for this document. */
export async function openEntry(key: CryptoKey, scope: string, id: string, sealed: Sealed): Promise<Entry | null> {
  return (await openSealed(key, scope, id, sealed)) as Entry | null;
}

export interface SyncResult {
  /** The records, in the order of the listing. */
  records: ReadDocument[];
  /** Documents not shown: too large, not records, unreadable. */
  skipped: number;
  /** Documents decrypted in this run (the rest came from the index). */
  decrypted: number;
  /** Documents the index did not hold when the run began (what it set out to decrypt). */
  pending: number;
  /** Stopped by the signal before every document was read. */
  stopped: boolean;
}

export interface SyncOptions {
  /** Documents larger than this are not decrypted (and count as skipped). */
  maxBytes: number;
  /** Decrypts and reads one document: its record, or null when it is not one. */
  read: (doc: DocumentView, signal?: AbortSignal) => Promise<ReadDocument | null>;
  signal?: AbortSignal;
  /** Called with what the index already held, before anything is decrypted. */
  onIndexed?: (records: ReadDocument[], skipped: number) => void;
  /** Called after each document decrypted in this run. */
  onRead?: (record: ReadDocument | null, done: number, total: number) => void;
}

/** An account's index, open with its key (held only while the keys are unlocked). */
export class RecordIndex {
  constructor(
    private readonly store: IndexStore,
    private readonly key: CryptoKey,
    /** The account (its subject id): bound into every entry. */
    private readonly scope: string,
  ) {}

  /**
   * The records of `docs` (the current listing): from the index where it holds an entry for
   * the document's bytes, else decrypted with `read` and added. Entries of documents no longer
   * listed (deleted) are removed. A document that fails to read is skipped, not indexed, so the
   * next run tries again.
   */
  async sync(docs: DocumentView[], opts: SyncOptions): Promise<SyncResult> {
    const live = docs.filter((d) => !d.deleted_at);
    const liveIds = new Set(live.map((d) => d.id));
    const stored = (await this.store.all()).filter(([id]) => !id.startsWith(META_PREFIX));
    const gone = stored.filter(([id]) => !liveIds.has(id)).map(([id]) => id);
    if (gone.length > 0) await this.store.del(gone);
    const opened = new Map<string, Entry>();
    await Promise.all(
      stored
        .filter(([id]) => liveIds.has(id))
        .map(async ([id, sealed]) => {
          const e = await openEntry(this.key, this.scope, id, sealed);
          if (e) opened.set(id, e);
        }),
    );
    const records = new Map<string, ReadDocument>();
    let skipped = 0;
    const pending: DocumentView[] = [];
    for (const d of live) {
      const e = opened.get(d.id);
      if (d.plaintext_size > opts.maxBytes) skipped++;
      else if (e && e.sha === d.plaintext_sha256.toLowerCase() && e.version === EXTRACT_VERSION) {
        if (e.record) records.set(d.id, e.record);
        else skipped++;
      } else pending.push(d);
    }
    opts.onIndexed?.([...records.values()], skipped);
    let decrypted = 0;
    let stopped = false;
    // Written in small batches: one IndexedDB transaction per document costs more than the read.
    let batch: [string, Sealed][] = [];
    const flush = async () => {
      if (batch.length > 0) await this.store.put(batch);
      batch = [];
    };
    for (const d of pending) {
      if (opts.signal?.aborted) {
        stopped = true;
        break;
      }
      let record: ReadDocument | null;
      try {
        record = await opts.read(d, opts.signal);
      } catch {
        if (opts.signal?.aborted) {
          stopped = true;
          break;
        }
        skipped++; // one unreadable document does not hide the others
        decrypted++;
        opts.onRead?.(null, decrypted, pending.length);
        continue;
      }
      if (record) records.set(d.id, record);
      else skipped++;
      batch.push([d.id, await sealEntry(this.key, this.scope, d.id, { sha: d.plaintext_sha256.toLowerCase(), version: EXTRACT_VERSION, record })]);
      if (batch.length >= 25) await flush();
      decrypted++;
      opts.onRead?.(record, decrypted, pending.length);
    }
    await flush();
    return { records: live.flatMap((d) => records.get(d.id) ?? []), skipped, decrypted, pending: pending.length, stopped };
  }

  /** The patient's goals and reminders (none until set; unreadable ones are none). */
  async settings(): Promise<Settings> {
    const sealed = (await this.store.all()).find(([id]) => id === SETTINGS_KEY)?.[1];
    const opened = sealed ? await openSealed(this.key, this.scope, SETTINGS_KEY, sealed) : null;
    const s = opened as Partial<Settings> | null;
    return { goals: Array.isArray(s?.goals) ? s.goals : [], reminders: Array.isArray(s?.reminders) ? s.reminders : [] };
  }

  /** Replaces the goals and reminders, encrypted like every entry. */
  async saveSettings(settings: Settings): Promise<void> {
    await this.store.put([[SETTINGS_KEY, await sealValue(this.key, this.scope, SETTINGS_KEY, settings)]]);
  }

  /** Removes documents' entries (after a deletion). */
  remove(ids: string[]): Promise<void> {
    return this.store.del(ids);
  }
}

// The page's open index: one per unlocked keys handle, dropped (with its key) on lock or sign-out.
let current: { handle: string; scope: string; index: Promise<RecordIndex> } | null = null;
let watching = false;

/** The account's index with the key derived from the unlocked keys `handle`. */
export function recordIndex(subjectId: string, handle: string, deriveKey: (handle: string, scope: string) => Promise<CryptoKey>): Promise<RecordIndex> {
  if (!watching) {
    watching = true;
    // Locked, signed out (the page locks first) or other keys: the key goes with the handle.
    onUnlockedChange((u) => {
      if (u?.key !== current?.handle) current = null;
    });
  }
  if (current?.handle === handle && current.scope === subjectId) return current.index;
  const index = deriveKey(handle, subjectId).then(async (key) => {
    const store = idbStore(subjectId);
    try {
      await store.all();
      return new RecordIndex(store, key, subjectId);
    } catch {
      return new RecordIndex(memoryStore(), key, subjectId); // no IndexedDB here: read every time
    }
  });
  current = { handle, scope: subjectId, index };
  index.catch(() => {
    if (current?.index === index) current = null;
  });
  return index;
}

/** Forgets the open index and its key (the keys were locked, or the session ended). */
export function closeRecordIndex(): void {
  current = null;
}

/** Removes a deleted document's entry; needs no key. */
export async function forgetIndexed(subjectId: string, ids: string[]): Promise<void> {
  await idbStore(subjectId).del(ids);
}

/** Deletes the account's whole index from this browser (its keystore was removed). */
export function deleteRecordIndex(subjectId: string): Promise<void> {
  return new Promise((resolve) => {
    if (typeof indexedDB === "undefined") return resolve();
    const req = indexedDB.deleteDatabase(dbName(subjectId));
    req.onsuccess = req.onerror = req.onblocked = () => resolve();
  });
}
