// A second worker that computes streaming SHA-256s for the crypto worker, so that sealing's two
// hashes (plaintext and payload) and opening's one run on another core beside AES-GCM. It gets
// copies of the bytes, in order, and answers each digest request.
import { createSHA256, type IHasher } from "hash-wasm";

export type HashRequest =
  | { type: "update"; id: number; data: ArrayBuffer }
  | { type: "digest"; id: number }
  | { type: "drop"; id: number };

const hashers = new Map<number, Promise<IHasher>>();
let queue: Promise<void> = Promise.resolve();

function hasher(id: number): Promise<IHasher> {
  let h = hashers.get(id);
  if (!h) {
    h = createSHA256().then((x) => (x.init(), x));
    hashers.set(id, h);
  }
  return h;
}

const scope = self as unknown as { postMessage(m: unknown, t: Transferable[]): void; onmessage: ((e: MessageEvent) => void) | null };
scope.onmessage = (e: MessageEvent) => {
  const m = e.data as HashRequest;
  // One at a time, in arrival order: updates must reach the hash in the order they were sent.
  queue = queue.then(async () => {
    const h = await hasher(m.id);
    if (m.type === "update") h.update(new Uint8Array(m.data));
    else {
      hashers.delete(m.id);
      if (m.type === "digest") {
        const digest = h.digest("binary");
        scope.postMessage({ id: m.id, digest }, [digest.buffer]);
      }
    }
  });
};
