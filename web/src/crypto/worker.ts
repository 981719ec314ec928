// The crypto Web Worker: seals and opens envelopes and unlocks the keystore off the page's
// thread. Chunks go out as transferred buffers, a few at a time (the page acknowledges each
// one it consumed), with progress events. Unlocked keys stay in the worker: the page holds a
// handle, never a secret. `serve` also runs over a MessagePort, which is how the tests drive it.
import { getAddress } from "viem";
import { concat, equal, fromHex, toHex } from "./bytes";
import { sign, type Domain, type Message } from "./eip712";
import {
  addRecipient,
  encodeHeader,
  generateIdentity,
  identityFromSecret,
  keyId,
  open,
  parseHeader,
  removeRecipient,
  seal,
  type Identity,
  type OpenOutput,
  type SealOutput,
  type Source,
} from "./envelope";
import {
  KeystoreError,
  keystoreFromSecrets,
  parseKeystore,
  serializeKeystore,
  unlockKeystore,
  type UnlockedKeys,
} from "./keystore";
import { openOnDevice, sealToDevice } from "./pairing";
import { openStaffKeys, sealStaffKeys } from "./staffKeys";
import { privateKeyToAccount } from "viem/accounts";
import { newSeed, phraseFromSeed, secretsFromSeed, seedFromPhrase } from "./phrase";

/** Page → worker. */
export type Request =
  | { type: "seal"; id: number; docId: Uint8Array; recipients: Uint8Array[]; input: Blob | ReadableStream<Uint8Array> }
  | {
      type: "open";
      id: number;
      docId: Uint8Array;
      key: string;
      header?: Uint8Array;
      input: Blob | ReadableStream<Uint8Array>;
    }
  | { type: "unlock"; id: number; keystore: string; passphrase: string }
  | { type: "create"; id: number; passphrase: string }
  | { type: "restore"; id: number; phrase: string; passphrase: string }
  | { type: "sign"; id: number; key: string; domain: Domain; message: Message }
  | { type: "rewrap"; id: number; key: string; header: Uint8Array; add: Uint8Array[]; remove: Uint8Array[] }
  | { type: "forget"; id: number; key: string }
  | { type: "sealStaff"; id: number; key: string; memberPublic: Uint8Array; staffId: string }
  | { type: "openStaff"; id: number; key: string; sealed: Uint8Array; staffId: string }
  | { type: "indexKey"; id: number; key: string; scope: string }
  | { type: "pairingKey"; id: number }
  | { type: "pairingSeal"; id: number; key: string; publicKey: Uint8Array; pairingId: string; previous: string[] }
  | { type: "pairingOpen"; id: number; key: string; pairingId: string; sealed: Uint8Array; passphrase: string }
  | { type: "ack"; id: number }
  | { type: "cancel"; id: number };

export interface Unlocked {
  /** Names the unlocked keys in later `open` requests. */
  key: string;
  address: string;
  x25519Public: Uint8Array;
  /** Every address that signs or signed for the account: `address` and the keystore's earlier ones. */
  signers: string[];
}

/** A new keystore: its file's text (the recovery kit) and its keys, unlocked. */
export interface Created extends Unlocked {
  keystore: string;
  /** New keys: their 24-word recovery phrase, to show once (absent when restored from one). */
  phrase?: string;
}

/** A header after `rewrap`, and the recipients it already had (added) or lacked (removed). */
export interface Rewrapped {
  header: Uint8Array;
  unchanged: number;
}

/** A new device's pairing key pair: the secret stays in the worker under `key`. */
export interface PairingKey {
  key: string;
  publicKey: Uint8Array;
}

/** Worker → page. */
export type Response =
  | { type: "chunk"; id: number; chunk: Uint8Array }
  | { type: "progress"; id: number; bytes: number }
  | { type: "done"; id: number; result: SealOutput | OpenOutput | Unlocked | Created | Rewrapped | PairingKey | Uint8Array | CryptoKey | string | null }
  | { type: "error"; id: number; name: string; message: string };

/** What `serve` needs of a worker scope or a MessagePort. */
export interface Port {
  postMessage(message: unknown, transfer: Transferable[]): void;
  addEventListener(type: "message", listener: (e: MessageEvent) => void): void;
  start?(): void;
}

/** Messages in flight before the worker waits for the page to consume one. */
export const WINDOW = 4;
/** Output bytes gathered into one message. */
export const MESSAGE_BYTES = 1 << 20;

interface Job {
  credits: number;
  wake?: () => void;
  cancelled: boolean;
}

// The names as the errors set them (`this.name`), not the classes' own `name`: the production
// build shortens class names, so those would never match.
const KNOWN_ERRORS = ["DecryptError", "MalformedError", "RecipientsError", "KeystoreError", "PhraseError"];

export function serve(port: Port): void {
  const jobs = new Map<number, Job>();
  const keys = new Map<string, UnlockedKeys>();
  const pairingKeys = new Map<string, Identity>();
  let nextKey = 0;
  const post = (r: Response, transfer: Transferable[] = []) => port.postMessage(r, transfer);

  async function stream(id: number, gen: AsyncGenerator<Uint8Array<ArrayBuffer>, SealOutput | OpenOutput, void>) {
    const job: Job = { credits: WINDOW, cancelled: false };
    jobs.set(id, job);
    // Output goes out in pieces of about MESSAGE_BYTES: one message per 64 KiB chunk costs
    // more than the copy that joins them.
    let parts: Uint8Array[] = [];
    let held = 0;
    const flush = async () => {
      if (parts.length === 0) return;
      while (job.credits === 0 && !job.cancelled) await new Promise<void>((res) => (job.wake = res));
      if (job.cancelled) {
        await gen.return(undefined as never);
        throw new Error("cancelled");
      }
      job.credits -= 1;
      const chunk = parts.length === 1 ? parts[0]! : concat(...parts);
      parts = [];
      held = 0;
      post({ type: "chunk", id, chunk }, [chunk.buffer]);
    };
    try {
      for (let r = await gen.next(); ; r = await gen.next()) {
        if (r.done) {
          await flush();
          post({ type: "done", id, result: r.value });
          return;
        }
        parts.push(r.value);
        held += r.value.length;
        if (held >= MESSAGE_BYTES) await flush();
      }
    } finally {
      jobs.delete(id);
    }
  }

  function unlocked(key: string): UnlockedKeys {
    const k = keys.get(key);
    if (!k) throw new KeystoreError("those keys are not unlocked");
    return k;
  }

  async function handle(req: Request): Promise<void> {
    const progress = (bytes: number) => post({ type: "progress", id: req.id, bytes });
    switch (req.type) {
      case "seal":
        return stream(req.id, seal(toSource(req.input), { docId: req.docId, recipients: req.recipients, onProgress: progress }));
      case "open": {
        const k = unlocked(req.key);
        const opts = { docId: req.docId, identity: k.identity, onProgress: progress };
        return stream(req.id, open(toSource(req.input), req.header ? { ...opts, header: req.header } : opts));
      }
      case "unlock": {
        const file = parseKeystore(req.keystore);
        const unlocked = await unlockKeystore(file, req.passphrase);
        const key = `k${nextKey++}`;
        keys.set(key, unlocked);
        const x25519Public = unlocked.identity.publicKey;
        const signers = [unlocked.address, ...(file.previous_signers ?? [])];
        return post({ type: "done", id: req.id, result: { key, address: unlocked.address, x25519Public, signers } });
      }
      case "create":
      case "restore": {
        // New keys derive from a new seed, so that its phrase brings them back (crypto/phrase.ts).
        const seed = req.type === "create" ? newSeed() : seedFromPhrase(req.phrase);
        const secrets = await secretsFromSeed(seed);
        const { file, keys: created } = await keystoreFromSecrets(req.passphrase, secrets.x25519, secrets.secp256k1, []);
        secrets.x25519.fill(0);
        secrets.secp256k1.fill(0);
        const key = `k${nextKey++}`;
        keys.set(key, created);
        const result: Created = {
          key,
          address: created.address,
          x25519Public: created.identity.publicKey,
          signers: [created.address],
          keystore: serializeKeystore(file),
          ...(req.type === "create" ? { phrase: phraseFromSeed(seed) } : {}),
        };
        seed.fill(0);
        return post({ type: "done", id: req.id, result });
      }
      case "sign": {
        const k = unlocked(req.key);
        return post({ type: "done", id: req.id, result: await sign(k.signerKey, req.domain, req.message) });
      }
      case "rewrap": {
        const k = unlocked(req.key);
        let { header } = parseHeader(req.header);
        let unchanged = 0;
        for (const pk of req.add) {
          const id = await keyId(pk);
          if (header.stanzas.some((s) => equal(s.keyId, id))) unchanged++;
          else header = await addRecipient(header, k.identity, pk);
        }
        for (const id of req.remove) {
          if (!header.stanzas.some((s) => equal(s.keyId, id))) unchanged++;
          else header = await removeRecipient(header, k.identity, id);
        }
        const result: Rewrapped = { header: encodeHeader(header), unchanged };
        return post({ type: "done", id: req.id, result });
      }
      case "indexKey": {
        const k = unlocked(req.key);
        return post({ type: "done", id: req.id, result: await deriveIndexKey(k.identity.secretKey, req.scope) });
      }
      case "pairingKey": {
        const identity = await generateIdentity();
        const key = `p${nextKey++}`;
        pairingKeys.set(key, identity);
        return post({ type: "done", id: req.id, result: { key, publicKey: identity.publicKey } });
      }
      case "pairingSeal": {
        // The two secrets, then the earlier signing addresses (20 bytes each), sealed to the
        // new device's key: the page never sees them.
        const k = unlocked(req.key);
        const eth = fromHex(k.signerKey.slice(2));
        const previous = req.previous.map((a) => fromHex(a.slice(2)));
        const plaintext = concat(k.identity.secretKey, eth, ...previous);
        try {
          return post({ type: "done", id: req.id, result: await sealToDevice(req.publicKey, req.pairingId, plaintext) });
        } finally {
          plaintext.fill(0);
          eth.fill(0);
        }
      }
      case "pairingOpen": {
        const identity = pairingKeys.get(req.key);
        if (!identity) throw new KeystoreError("the pairing key is gone; start again");
        const plaintext = await openOnDevice(identity, req.pairingId, req.sealed);
        try {
          if (plaintext.length < 64 || (plaintext.length - 64) % 20 !== 0) throw new KeystoreError("the keys sent are not valid");
          const previous: string[] = [];
          for (let i = 64; i < plaintext.length; i += 20) previous.push(getAddress(`0x${toHex(plaintext.subarray(i, i + 20))}`));
          const { file, keys: made } = await keystoreFromSecrets(req.passphrase, plaintext.subarray(0, 32), plaintext.subarray(32, 64), previous);
          identity.secretKey.fill(0);
          pairingKeys.delete(req.key);
          const key = `k${nextKey++}`;
          keys.set(key, made);
          const result: Created = {
            key,
            address: made.address,
            x25519Public: made.identity.publicKey,
            signers: [made.address, ...previous],
            keystore: serializeKeystore(file),
          };
          return post({ type: "done", id: req.id, result });
        } finally {
          plaintext.fill(0);
        }
      }
      case "sealStaff": {
        // The unlocked (hospital's) secrets, sealed to a member's own key; they never leave
        // the worker in the clear.
        const k = unlocked(req.key);
        const secrets = concat(k.identity.secretKey, fromHex(k.signerKey.slice(2)));
        try {
          return post({ type: "done", id: req.id, result: await sealStaffKeys(secrets, req.memberPublic, req.staffId) });
        } finally {
          secrets.fill(0);
        }
      }
      case "openStaff": {
        // A member's own unlocked keys open the hospital's, which become unlocked keys of their own.
        const own = unlocked(req.key);
        const secrets = await openStaffKeys(req.sealed, own.identity, req.staffId);
        try {
          const identity = await identityFromSecret(secrets.subarray(0, 32));
          const signerKey = `0x${toHex(secrets.subarray(32))}` as const;
          const address = privateKeyToAccount(signerKey).address;
          const key = `k${nextKey++}`;
          keys.set(key, { identity, signerKey, address });
          const result: Unlocked = { key, address, x25519Public: identity.publicKey, signers: [address] };
          return post({ type: "done", id: req.id, result });
        } finally {
          secrets.fill(0);
        }
      }
      case "forget": {
        const k = keys.get(req.key);
        k?.identity.secretKey.fill(0);
        keys.delete(req.key);
        return post({ type: "done", id: req.id, result: null });
      }
      case "ack":
      case "cancel": {
        const job = jobs.get(req.id);
        if (!job) return;
        if (req.type === "cancel") job.cancelled = true;
        else job.credits += 1;
        job.wake?.();
        job.wake = undefined;
        return;
      }
    }
  }

  port.addEventListener("message", (e: MessageEvent) => {
    const req = e.data as Request;
    handle(req).catch((err: unknown) => {
      const name = err instanceof Error && KNOWN_ERRORS.includes(err.name) ? err.name : "Error";
      const message = err instanceof Error ? err.message : String(err);
      post({ type: "error", id: req.id, name, message });
    });
  });
  port.start?.();
}

/** HKDF's salt for the local records index key (see `deriveIndexKey`). */
export const INDEX_KEY_SALT = "pramana records index v1";

/**
 * The key of the local records index (web/src/lib/recordIndex.ts): AES-256-GCM, derived by
 * HKDF-SHA256 from the unlocked X25519 secret key (salt `INDEX_KEY_SALT`, info the account's
 * scope), and not extractable: the page can use it, never read it, and it exists only while
 * the keys are unlocked.
 */
export async function deriveIndexKey(secretKey: Uint8Array, scope: string): Promise<CryptoKey> {
  const ikm = await crypto.subtle.importKey("raw", secretKey as Uint8Array<ArrayBuffer>, "HKDF", false, ["deriveKey"]);
  const enc = new TextEncoder();
  return crypto.subtle.deriveKey(
    { name: "HKDF", hash: "SHA-256", salt: enc.encode(INDEX_KEY_SALT), info: enc.encode(scope) },
    ikm,
    { name: "AES-GCM", length: 256 },
    false,
    ["encrypt", "decrypt"],
  );
}

function toSource(input: Blob | ReadableStream<Uint8Array>): Source {
  return input instanceof Blob ? (input.stream() as ReadableStream<Uint8Array>) : input;
}

// Started as a worker (not when imported by a test).
declare const WorkerGlobalScope: { new (): unknown } | undefined;
if (typeof WorkerGlobalScope !== "undefined" && self instanceof WorkerGlobalScope) {
  serve(self as unknown as Port);
}
