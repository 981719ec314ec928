// Documents on the wire: sealing a file in the crypto worker and uploading the envelope,
// downloading and opening one, and the proof bundle. Plaintext and keys stay in this browser;
// the server gets the envelope and the hashes the upload declares (docs/envelope.md).
import { ApiError, api, authHeader, call, renewSession, type Schemas } from "../api/client";
import { fromHex, toHex } from "../crypto/bytes";
import { collectToBlob, uuidBytes } from "./files";
import type { SealOutput } from "../crypto/envelope";
import type { ProofBundle } from "../crypto/proof";
import { cryptoClient } from "../state/keys";
import { getAddress } from "viem";
import { domain } from "../crypto/eip712";
import { grantProblem } from "./grants";

export type DocumentView = Schemas["DocumentView"];

/** The seven ABDM HI types, in the order the upload form offers them. */
export { HI_TYPES, type HiType } from "./hiTypes";
import { HI_TYPES } from "./hiTypes";

/** Thrown when the person cancelled; not an error to show. */
export class Cancelled extends Error {
  constructor() {
    super("cancelled");
    this.name = "Cancelled";
  }
}

/**
 * The X25519 keys of the hospitals whose active grant covers a new document of this type and
 * care date, as the CLI's `upload` does: a document added inside a granted scope is shared as
 * the grant would have shared it had the document existed then. Only grants one of `signers`
 * (the keystore's own addresses) signed count; the others are counted in `refused`.
 */
export async function grantedRecipients(
  hiType: string,
  careDate: string,
  signers: string[],
): Promise<{ keys: Uint8Array[]; refused: number }> {
  const consents = await call(() => api.GET("/v1/consents"));
  const covering = consents.filter(
    (c) => c.status === "GRANTED" && c.hi_types.includes(hiType) && c.date_range.from <= careDate && careDate <= c.date_range.to,
  );
  const out: Uint8Array[] = [];
  if (covering.length === 0) return { keys: out, refused: 0 };
  const chain = await call(() => api.GET("/v1/chain"));
  if (!chain.contract_address) return { keys: out, refused: covering.length };
  const d = domain(chain.chain_id, getAddress(chain.contract_address));
  const seen = new Set<string>();
  let refused = 0;
  for (const c of covering) {
    if ((await grantProblem(c, d, signers)) !== null) {
      refused += 1;
      continue;
    }
    const keys = await call(() => api.GET("/v1/consents/{id}/grantee-keys", { params: { path: { id: c.id } } }));
    const hex = keys.x25519_public_key;
    if (hex && /^[0-9a-fA-F]{64}$/.test(hex) && !seen.has(hex.toLowerCase())) {
      seen.add(hex.toLowerCase());
      out.push(fromHex(hex));
    }
  }
  return { keys: out, refused };
}

export interface UploadProgress {
  phase: "sealing" | "uploading";
  done: number;
  total: number;
}

/** A hospital's upload into a linked patient's record: to whom, and the patient's key. */
export interface IntoRecord {
  patientId: string;
  patientKey: Uint8Array;
}

/**
 * Seals `file` to the caller's own key and, for a patient, to the hospitals granted its scope,
 * or, for a hospital adding to a linked record (`into`), to the patient; then uploads the
 * envelope. `signal` cancels at any point: before the upload finishes, nothing is stored.
 */
export async function sealAndUpload(opts: {
  file: File;
  hiType: string;
  careDate: string;
  ownKey: Uint8Array;
  /** The keystore's own addresses: only grants they signed are sealed to. */
  signers: string[];
  into?: IntoRecord;
  onProgress: (p: UploadProgress) => void;
  signal: AbortSignal;
}): Promise<{ doc: DocumentView; sharedWith: number; refused: number }> {
  const { file, hiType, careDate, into, onProgress, signal } = opts;
  const { keys: shared, refused } = into
    ? { keys: [into.patientKey], refused: 0 }
    : await grantedRecipients(hiType, careDate, opts.signers);
  if (signal.aborted) throw new Cancelled();
  const id = crypto.randomUUID();
  onProgress({ phase: "sealing", done: 0, total: file.size });
  const job = cryptoClient().seal(file, {
    docId: uuidBytes(id),
    recipients: [opts.ownKey, ...shared],
    onProgress: (bytes) => onProgress({ phase: "sealing", done: bytes, total: file.size }),
  });
  const stop = () => job.cancel();
  signal.addEventListener("abort", stop);
  let envelope: Blob;
  let sealed: SealOutput;
  try {
    [envelope, sealed] = await Promise.all([collectToBlob(job.stream), job.done]);
  } catch (e) {
    if (signal.aborted) throw new Cancelled();
    throw e;
  } finally {
    signal.removeEventListener("abort", stop);
  }
  if (signal.aborted) throw new Cancelled();
  const query = new URLSearchParams({
    hi_type: hiType,
    care_date: careDate,
    plaintext_sha256: toHex(sealed.plaintextSha256),
    salt: toHex(sealed.salt),
    payload_sha256: toHex(sealed.payloadSha256),
  });
  if (into) query.set("patient_id", into.patientId);
  const url = `/v1/documents/${id}?${query}`;
  onProgress({ phase: "uploading", done: 0, total: envelope.size });
  const doc = await putWithSession(url, envelope, signal, (done) => onProgress({ phase: "uploading", done, total: envelope.size }));
  return { doc, sharedWith: into ? 0 : shared.length, refused };
}

/** PUTs a Blob with XMLHttpRequest (upload progress); a 401 renews the session once and retries. */
async function putWithSession(url: string, body: Blob, signal: AbortSignal, onProgress: (done: number) => void): Promise<DocumentView> {
  let r = await xhrPut(url, body, await authHeader(), signal, onProgress);
  if (r.status === 401) {
    await renewSession();
    r = await xhrPut(url, body, await authHeader(), signal, onProgress);
  }
  const parsed = parseJson(r.text) as { code?: string; message?: string } | undefined;
  if (r.status !== 201) {
    throw new ApiError(r.status, parsed?.code ?? `http_${r.status}`, parsed?.message ?? "");
  }
  return parsed as unknown as DocumentView;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function xhrPut(
  url: string,
  body: Blob,
  authorization: string,
  signal: AbortSignal,
  onProgress: (done: number) => void,
): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(new Cancelled());
    const xhr = new XMLHttpRequest();
    xhr.open("PUT", url);
    xhr.setRequestHeader("content-type", "application/octet-stream");
    if (authorization) xhr.setRequestHeader("authorization", authorization);
    xhr.upload.onprogress = (e) => onProgress(e.loaded);
    const abort = () => xhr.abort();
    signal.addEventListener("abort", abort);
    const finish = () => signal.removeEventListener("abort", abort);
    xhr.onload = () => {
      finish();
      resolve({ status: xhr.status, text: xhr.responseText });
    };
    xhr.onabort = () => {
      finish();
      reject(new Cancelled());
    };
    xhr.onerror = () => {
      finish();
      // The server may answer a too-large body before reading it and close the connection;
      // the browser then reports only a network failure.
      reject(new ApiError(0, "network", "the upload was interrupted"));
    };
    xhr.send(body);
  });
}

/** fetch with the session's bearer token; a 401 renews the session once and retries. */
export async function authedFetch(path: string, init: RequestInit = {}): Promise<Response> {
  const go = async () => {
    const headers = new Headers(init.headers);
    const auth = await authHeader();
    if (auth) headers.set("authorization", auth);
    try {
      return await fetch(path, { ...init, headers, credentials: "same-origin" });
    } catch (e) {
      if (init.signal?.aborted) throw new Cancelled();
      throw new ApiError(0, "network", e instanceof Error ? e.message : String(e));
    }
  };
  let r = await go();
  if (r.status === 401) {
    await renewSession();
    r = await go();
  }
  if (!r.ok) {
    const body = parseJson(await r.text()) as { code?: string; message?: string } | undefined;
    throw new ApiError(r.status, body?.code ?? `http_${r.status}`, body?.message ?? r.statusText);
  }
  return r;
}

/** The decrypted document's SHA-256 did not match the one recorded at upload. */
export class ChecksumError extends Error {
  constructor() {
    super("checksum");
    this.name = "ChecksumError";
  }
}

/**
 * Downloads the envelope and opens it in the worker with the unlocked keys; the plaintext comes
 * back as a Blob once the whole document decrypted and its SHA-256 matched the recorded one
 * (as `pramana download` checks). Nothing partial is ever returned.
 */
export async function downloadAndOpen(
  doc: DocumentView,
  key: string,
  onProgress: (done: number, total: number) => void,
  signal?: AbortSignal,
  contentPath = `/v1/documents/${doc.id}/content`,
): Promise<Blob> {
  const r = await authedFetch(contentPath, { signal });
  if (!r.body) throw new ApiError(0, "network", "empty response");
  const job = cryptoClient().open(r.body, {
    docId: uuidBytes(doc.id),
    key,
    onProgress: (bytes) => onProgress(bytes, doc.envelope_size),
  });
  signal?.addEventListener("abort", () => job.cancel());
  const [plain, opened] = await Promise.all([collectToBlob(job.stream), job.done]);
  if (toHex(opened.plaintextSha256) !== doc.plaintext_sha256.toLowerCase()) throw new ChecksumError();
  return plain;
}

/** The proof bundle, once the document is anchored; bundles never change, so they are cached. */
const proofs = new Map<string, ProofBundle>();

export async function fetchProof(id: string): Promise<ProofBundle> {
  const cached = proofs.get(id);
  if (cached) return cached;
  const r = await authedFetch(`/v1/documents/${id}/proof`);
  const bundle = (await r.json()) as ProofBundle;
  proofs.set(id, bundle);
  return bundle;
}
