// The page's side of the crypto worker: typed calls that return a ReadableStream of output
// chunks and a promise of the result, with progress and cancel. The page never sees a secret
// key: `unlock` leaves the keys in the worker and returns a handle.
import { DecryptError, MalformedError, RecipientsError, type OpenOutput, type SealOutput } from "./envelope";
import { KeystoreError } from "./keystore";
import { PhraseError } from "./phrase";
import type { Domain, Message } from "./eip712";
import type { Created, PairingKey, Request, Response, Rewrapped, Unlocked } from "./worker";

/** What the client needs of a Worker or a MessagePort. */
export interface WorkerLike {
  postMessage(message: unknown, transfer: Transferable[]): void;
  addEventListener(type: "message", listener: (e: MessageEvent) => void): void;
  start?(): void;
}

export interface Job<R> {
  /** Output chunks, as the worker produces them (the worker waits for slow readers). */
  stream: ReadableStream<Uint8Array>;
  /** The result, once the whole input went through; rejects on any error (discard the output). */
  done: Promise<R>;
  cancel(): void;
}

type Input = Blob | ReadableStream<Uint8Array>;
type Listener = { onResponse(r: Response): void };

const ERRORS: Record<string, (m: string) => Error> = {
  DecryptError: () => new DecryptError(),
  MalformedError: (m) => Object.assign(new MalformedError(""), { message: m }),
  RecipientsError: (m) => Object.assign(new RecipientsError(""), { message: m }),
  KeystoreError: (m) => new KeystoreError(m),
  PhraseError: (m) => PhraseError.fromMessage(m),
};

export class CryptoClient {
  private nextId = 1;
  private readonly listeners = new Map<number, Listener>();

  constructor(private readonly port: WorkerLike) {
    port.addEventListener("message", (e: MessageEvent) => {
      const r = e.data as Response;
      this.listeners.get(r.id)?.onResponse(r);
    });
    port.start?.();
  }

  /** A client of a new module worker (in the page). */
  static start(): CryptoClient {
    return new CryptoClient(new Worker(new URL("./worker.ts", import.meta.url), { type: "module", name: "pramana-crypto" }));
  }

  /** Seals `input` for the recipients' X25519 public keys: header then payload chunks. */
  seal(input: Input, opts: { docId: Uint8Array; recipients: Uint8Array[]; onProgress?: (bytes: number) => void }): Job<SealOutput> {
    return this.job<SealOutput>(
      (id) => ({ type: "seal", id, docId: opts.docId, recipients: opts.recipients, input }),
      input,
      opts.onProgress,
    );
  }

  /** Opens `input` (`header ‖ payload`, or the payload when `header` is given) with unlocked keys. */
  open(input: Input, opts: { docId: Uint8Array; key: string; header?: Uint8Array; onProgress?: (bytes: number) => void }): Job<OpenOutput> {
    const { docId, key, header } = opts;
    return this.job<OpenOutput>((id) => ({ type: "open", id, docId, key, input, ...(header ? { header } : {}) }), input, opts.onProgress);
  }

  /** Unlocks a keystore file's text in the worker; the keys stay there. */
  unlock(keystore: string, passphrase: string): Promise<Unlocked> {
    return this.call<Unlocked>((id) => ({ type: "unlock", id, keystore, passphrase }));
  }

  /** Creates a keystore under `passphrase`: the file's text to save, and the keys unlocked. */
  create(passphrase: string): Promise<Created> {
    return this.call<Created>((id) => ({ type: "create", id, passphrase }));
  }

  /** A new keystore under `passphrase` with the keys a recovery phrase brings back. */
  restore(phrase: string, passphrase: string): Promise<Created> {
    return this.call<Created>((id) => ({ type: "restore", id, phrase, passphrase }));
  }

  /** Signs an EIP-712 message (a grant, a revocation) with the unlocked signing key. */
  sign(key: string, domain: Domain, message: Message): Promise<`0x${string}`> {
    return this.call<`0x${string}`>((id) => ({ type: "sign", id, key, domain, message }));
  }

  /** Adds recipients (X25519 public keys) to and removes recipients (key ids) from a header. */
  rewrap(key: string, header: Uint8Array, change: { add?: Uint8Array[]; remove?: Uint8Array[] }): Promise<Rewrapped> {
    return this.call<Rewrapped>((id) => ({ type: "rewrap", id, key, header, add: change.add ?? [], remove: change.remove ?? [] }));
  }

  /**
   * The local records index's AES-GCM key for `scope` (an account), derived in the worker from
   * the unlocked keys; not extractable.
   */
  indexKey(key: string, scope: string): Promise<CryptoKey> {
    return this.call<CryptoKey>((id) => ({ type: "indexKey", id, key, scope }));
  }

  /** A new device's pairing key pair (docs/devices.md); the secret stays in the worker. */
  pairingKey(): Promise<PairingKey> {
    return this.call<PairingKey>((id) => ({ type: "pairingKey", id }));
  }

  /** Seals the unlocked keys (and the earlier signing addresses) to a new device's public key. */
  pairingSeal(key: string, publicKey: Uint8Array, pairingId: string, previous: string[]): Promise<Uint8Array> {
    return this.call<Uint8Array>((id) => ({ type: "pairingSeal", id, key, publicKey, pairingId, previous }));
  }

  /** Opens keys sealed to a pairing key and saves them as a keystore under `passphrase`, unlocked. */
  pairingOpen(key: string, pairingId: string, sealed: Uint8Array, passphrase: string): Promise<Created> {
    return this.call<Created>((id) => ({ type: "pairingOpen", id, key, pairingId, sealed, passphrase }));
  }

  /** Seals the unlocked (hospital's) secrets to a staff member's own X25519 key (docs/staff.md). */
  sealStaff(key: string, memberPublic: Uint8Array, staffId: string): Promise<Uint8Array> {
    return this.call<Uint8Array>((id) => ({ type: "sealStaff", id, key, memberPublic, staffId }));
  }

  /** Opens the hospital's secrets sealed to a member's unlocked keys: the hospital's keys, unlocked. */
  openStaff(key: string, sealed: Uint8Array, staffId: string): Promise<Unlocked> {
    return this.call<Unlocked>((id) => ({ type: "openStaff", id, key, sealed, staffId }));
  }

  /** Drops unlocked keys from the worker. */
  async forget(key: string): Promise<void> {
    await this.call((id) => ({ type: "forget", id, key }));
  }

  private send(req: Request, transfer: Transferable[] = []): void {
    this.port.postMessage(req, transfer);
  }

  private call<R>(make: (id: number) => Request): Promise<R> {
    const id = this.nextId++;
    return new Promise<R>((resolve, reject) => {
      this.listeners.set(id, {
        onResponse: (r) => {
          if (r.type !== "done" && r.type !== "error") return;
          this.listeners.delete(id);
          if (r.type === "done") resolve(r.result as R);
          else reject(toError(r));
        },
      });
      this.send(make(id));
    });
  }

  private job<R>(make: (id: number) => Request, input: Input, onProgress?: (bytes: number) => void): Job<R> {
    const id = this.nextId++;
    let settle!: (r: R) => void;
    let fail!: (e: Error) => void;
    const done = new Promise<R>((res, rej) => {
      settle = res;
      fail = rej;
    });
    done.catch(() => {}); // the stream's reader sees the error too
    // Chunks the worker sent and the reader has not taken yet (at most the worker's window).
    const queue: Uint8Array[] = [];
    let ended: { error?: Error } | undefined;
    let wake: (() => void) | undefined;
    const cancel = () => this.send({ type: "cancel", id });
    const stream = new ReadableStream<Uint8Array>(
      {
        pull: async (c) => {
          while (queue.length === 0 && !ended) await new Promise<void>((res) => (wake = res));
          const chunk = queue.shift();
          if (chunk) {
            c.enqueue(chunk);
            this.send({ type: "ack", id }); // frees a place in the worker's window
          } else if (ended?.error) {
            c.error(ended.error);
          } else {
            c.close();
          }
        },
        cancel: () => cancel(),
      },
      { highWaterMark: 0 },
    );
    const end = (e?: Error) => {
      this.listeners.delete(id);
      ended = e ? { error: e } : {};
      if (e) queue.length = 0;
      wake?.();
    };
    this.listeners.set(id, {
      onResponse: (r) => {
        switch (r.type) {
          case "chunk":
            queue.push(r.chunk);
            wake?.();
            return;
          case "progress":
            onProgress?.(r.bytes);
            return;
          case "done":
            end();
            settle(r.result as R);
            return;
          case "error": {
            const e = toError(r);
            end(e);
            fail(e);
          }
        }
      },
    });
    this.send(make(id), input instanceof ReadableStream ? [input as unknown as Transferable] : []);
    return { stream, done, cancel };
  }
}

function toError(r: { name: string; message: string }): Error {
  return ERRORS[r.name]?.(r.message) ?? new Error(r.message);
}
