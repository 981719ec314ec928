// The patient's decisions on a consent, done on this device exactly as the CLI does them
// (cli/src/cmd/consent/approve.rs, revoke.rs, resign.rs): the EIP-712 message is signed in the
// crypto worker with the unlocked key, and each document's header gains or loses the hospital's
// wrapped key in the worker too (the data keys never leave it).
import { getAddress, type Hex } from "viem";
import { api, call, type Schemas } from "../api/client";
import { fromHex, toHex } from "../crypto/bytes";
import { keyId, parseHeader } from "../crypto/envelope";
import type { Unlocked } from "../crypto/worker";
import { cryptoClient } from "../state/keys";
import { scopeHash, sortHiTypes } from "./consentScope";
import { accountOf, deadline, signingFor } from "./consentSigning";

export type ConsentView = Schemas["ConsentView"];
type DocumentView = Schemas["DocumentView"];

/** What the patient chose to grant: the request, or narrower. */
export interface Narrowing {
  hiTypes: string[];
  dateFrom: string;
  dateTo: string;
  /** When access ends (Unix seconds), not after the requested end. */
  until: number;
}

/** The hospital cannot be given access: it has no key registered to encrypt for or sign to. */
export class GranteeKeysError extends Error {
  constructor() {
    super("the hospital has no keys registered");
    this.name = "GranteeKeysError";
  }
}

export type Progress = (done: number, total: number) => void;

function fromBase64(s: string): Uint8Array {
  const bin = atob(s);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

function toBase64(b: Uint8Array): string {
  let bin = "";
  for (let i = 0; i < b.length; i += 0x8000) bin += String.fromCharCode(...b.subarray(i, i + 0x8000));
  return btoa(bin);
}

/** Live documents of mine that a grant of `n` covers. */
export function documentsInScope(docs: DocumentView[], n: Pick<Narrowing, "hiTypes" | "dateFrom" | "dateTo">): DocumentView[] {
  return docs.filter((d) => d.header && !d.deleted_at && n.hiTypes.includes(d.hi_type) && d.care_date >= n.dateFrom && d.care_date <= n.dateTo);
}

/**
 * Grants `c` for the narrowed scope: rewraps every in-scope document for the hospital, signs the
 * Grant, and sends both in one request. Nothing is sent unless every step before succeeded.
 */
export async function approveConsent(c: ConsentView, n: Narrowing, keys: Unlocked, onProgress: Progress): Promise<ConsentView> {
  const id = c.id;
  const grantee = await call(() => api.GET("/v1/consents/{id}/grantee-keys", { params: { path: { id } } }));
  if (!grantee.x25519_public_key || !grantee.ethereum_address) throw new GranteeKeysError();
  const hospitalKey = fromHex(grantee.x25519_public_key);
  const myKeys = await call(() => api.GET("/v1/keys"));
  const patient = accountOf(myKeys, keys.address);
  const signing = await signingFor(patient, myKeys);

  const hiTypes = sortHiTypes(n.hiTypes);
  const docs = documentsInScope(await call(() => api.GET("/v1/documents")), { ...n, hiTypes });
  const headers: { document_id: string; header: string }[] = [];
  onProgress(0, docs.length);
  for (const d of docs) {
    const { header } = await cryptoClient().rewrap(keys.key, fromBase64(d.header!), { add: [hospitalKey] });
    headers.push({ document_id: d.id, header: toBase64(header) });
    onProgress(headers.length, docs.length);
  }

  const validFrom = BigInt(Math.floor(Date.now() / 1000) - 60);
  const message = {
    consentId: c.chain_consent_id as Hex,
    patient,
    grantee: getAddress(grantee.ethereum_address),
    scopeHash: scopeHash({
      purpose: c.purpose,
      hiTypes,
      accessMode: c.access_mode,
      dateFrom: n.dateFrom,
      dateTo: n.dateTo,
      frequency: c.frequency,
    }),
    validFrom,
    validUntil: BigInt(n.until),
    nonce: signing.nonce,
    deadline: deadline(),
  };
  const signature = await cryptoClient().sign(keys.key, signing.domain, { primaryType: "Grant", message });
  return call(() =>
    api.POST("/v1/consents/{id}/grant", {
      params: { path: { id } },
      body: {
        hi_types: hiTypes,
        date_range: { from: n.dateFrom, to: n.dateTo },
        data_erase_at: new Date(n.until * 1000).toISOString(),
        valid_from: Number(validFrom),
        nonce: Number(message.nonce),
        deadline: Number(message.deadline),
        signature,
        headers,
      },
    }),
  );
}

/**
 * Revokes `c` (a signed Revoke: the hospital's access ends at once), then takes the hospital's
 * wrapped key out of every document of mine that still has it. Run again on a consent already
 * revoked, it only finishes the second part (after a dropped connection).
 */
export async function revokeConsent(c: ConsentView, keys: Unlocked, onProgress: Progress): Promise<ConsentView> {
  const id = c.id;
  let view = c;
  if (c.status === "GRANTED") {
    const patient = getAddress(c.patient_address ?? keys.address);
    const signing = await signingFor(patient);
    const message = { consentId: c.chain_consent_id as Hex, patient, nonce: signing.nonce, deadline: deadline() };
    const signature = await cryptoClient().sign(keys.key, signing.domain, { primaryType: "Revoke", message });
    view = await call(() =>
      api.POST("/v1/consents/{id}/revoke", {
        params: { path: { id } },
        body: { nonce: Number(message.nonce), deadline: Number(message.deadline), signature },
      }),
    );
  }
  await removeHospitalKey(id, keys, onProgress);
  return view;
}

/** My documents whose header still holds a wrapped key for the consent's hospital. */
export async function documentsWithHospitalKey(id: string): Promise<{ kid: Uint8Array; docs: DocumentView[] }> {
  const grantee = await call(() => api.GET("/v1/consents/{id}/grantee-keys", { params: { path: { id } } }));
  if (!grantee.x25519_public_key) return { kid: new Uint8Array(), docs: [] };
  const kid = await keyId(fromHex(grantee.x25519_public_key));
  const docs = (await call(() => api.GET("/v1/documents"))).filter(
    (d) => d.header && parseHeader(fromBase64(d.header)).header.stanzas.some((s) => toHex(s.keyId) === toHex(kid)),
  );
  return { kid, docs };
}

/** Removes the consent's hospital from every header of mine that names it. */
async function removeHospitalKey(id: string, keys: Unlocked, onProgress: Progress): Promise<void> {
  const { kid, docs } = await documentsWithHospitalKey(id);
  onProgress(0, docs.length);
  let done = 0;
  for (const d of docs) {
    const { header } = await cryptoClient().rewrap(keys.key, fromBase64(d.header!), { remove: [kid] });
    await call(() =>
      api.POST("/v1/documents/{id}/header", {
        params: { path: { id: d.id } },
        body: { key_id: toHex(kid), header: toBase64(header) },
      }),
    );
    onProgress(++done, docs.length);
  }
  if (docs.length === 0) onProgress(1, 1);
}

/**
 * Signs again the grant or revocation the chain refused for good (its nonce went stale or its
 * deadline passed): the same message with the current nonce and a new deadline.
 */
export async function resignConsent(c: ConsentView, keys: Unlocked): Promise<ConsentView> {
  const id = c.id;
  const patient = getAddress(c.patient_address ?? keys.address);
  const signing = await signingFor(patient);
  const nonce = signing.nonce;
  const until = deadline();
  const consentId = c.chain_consent_id as Hex;
  let signature: Hex;
  if (c.chain.revoke?.state === "failed") {
    signature = await cryptoClient().sign(keys.key, signing.domain, {
      primaryType: "Revoke",
      message: { consentId, patient, nonce, deadline: until },
    });
  } else {
    if (!c.grantee_address || !c.valid_from) throw new GranteeKeysError();
    signature = await cryptoClient().sign(keys.key, signing.domain, {
      primaryType: "Grant",
      message: {
        consentId,
        patient,
        grantee: getAddress(c.grantee_address),
        scopeHash: c.scope_hash as Hex,
        validFrom: BigInt(Math.floor(Date.parse(c.valid_from) / 1000)),
        validUntil: BigInt(Math.floor(Date.parse(c.data_erase_at) / 1000)),
        nonce,
        deadline: until,
      },
    });
  }
  return call(() =>
    api.POST("/v1/consents/{id}/resign", {
      params: { path: { id } },
      body: { nonce: Number(nonce), deadline: Number(until), signature },
    }),
  );
}
