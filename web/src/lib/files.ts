// Plain helpers for files in the page: collecting a stream into a Blob, telling a file's kind
// from its first bytes, and naming a decrypted document. No DOM beyond Blob, no API.
import { fromHex } from "../crypto/bytes";

/** A UUID's 16 bytes (the envelope binds the document id). */
export function uuidBytes(id: string): Uint8Array<ArrayBuffer> {
  return fromHex(id.replace(/-/g, ""));
}

/** Collects chunks into a Blob a few MiB at a time, so a large file never sits in the JS heap. */
export async function collectToBlob(stream: ReadableStream<Uint8Array>, type = "application/octet-stream"): Promise<Blob> {
  const FLUSH = 4 << 20;
  let blob = new Blob([], { type });
  let pending: Uint8Array<ArrayBuffer>[] = [];
  let pendingBytes = 0;
  const reader = stream.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    pending.push(value as Uint8Array<ArrayBuffer>);
    pendingBytes += value.length;
    if (pendingBytes >= FLUSH) {
      blob = new Blob([blob, ...pending], { type });
      pending = [];
      pendingBytes = 0;
    }
  }
  return new Blob([blob, ...pending], { type });
}

/** What kind of file the plaintext is, from its first bytes (the server never knew). */
export type Kind = { kind: "pdf" | "image" | "text" | "other"; mime: string; ext: string };

export async function sniff(blob: Blob): Promise<Kind> {
  const head = new Uint8Array(await blob.slice(0, 4096).arrayBuffer());
  const starts = (...b: number[]) => b.every((x, i) => head[i] === x);
  if (starts(0x25, 0x50, 0x44, 0x46, 0x2d)) return { kind: "pdf", mime: "application/pdf", ext: "pdf" };
  if (starts(0x89, 0x50, 0x4e, 0x47)) return { kind: "image", mime: "image/png", ext: "png" };
  if (starts(0xff, 0xd8, 0xff)) return { kind: "image", mime: "image/jpeg", ext: "jpg" };
  if (starts(0x47, 0x49, 0x46, 0x38)) return { kind: "image", mime: "image/gif", ext: "gif" };
  if (starts(0x52, 0x49, 0x46, 0x46) && head[8] === 0x57 && head[9] === 0x45) return { kind: "image", mime: "image/webp", ext: "webp" };
  if (head.length > 0 && looksLikeText(head)) return { kind: "text", mime: "text/plain;charset=utf-8", ext: "txt" };
  return { kind: "other", mime: "application/octet-stream", ext: "bin" };
}

function looksLikeText(b: Uint8Array): boolean {
  if (b.includes(0)) return false;
  try {
    // Streaming mode: a multi-byte character cut at the end of the sample is not an error.
    new TextDecoder("utf-8", { fatal: true }).decode(b, { stream: true });
    return true;
  } catch {
    return false;
  }
}

/** A file name for the decrypted document: its type and care date (the server keeps no name). */
export function fileName(doc: { hi_type: string; care_date: string }, ext: string): string {
  const slug = doc.hi_type.replace(/([a-z])([A-Z])/g, "$1-$2").toLowerCase();
  return `${slug}-${doc.care_date}.${ext}`;
}
