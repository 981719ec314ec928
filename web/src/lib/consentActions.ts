// The patient's decisions on a consent, done on this device exactly as the CLI does them
// (cli/src/cmd/consent/approve.rs, revoke.rs, stanzas.rs, resign.rs): the EIP-712 message is
// signed in the crypto worker with the unlocked key, then each document's header gains or loses
// the hospital's wrapped key in the worker too (the data keys never leave it), page by page: the
// server lists what is left (`/stanzas/pending` after a grant, `/stanzas/stale` after a
// revocation) and applies each page of new headers in one transaction, so an interrupted run is
// finished by running it again, and a record of any size fits.
import { getAddress, type Hex } from "viem";
import { api, call, type Schemas } from "../api/client";
import { fromHex, toHex } from "../crypto/bytes";
import { keyId } from "../crypto/envelope";
import type { Unlocked } from "../crypto/worker";
import { cryptoClient } from "../state/keys";
import { scopeHash, sortHiTypes } from "./consentScope";
import { accountOf, deadline, signingFor } from "./consentSigning";
import { domain } from "../crypto/eip712";
import { grantProblem } from "./grants";

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

/** What a grant or a revocation did to the documents: documents this device could not open
 * (sealed to another or an older key, an unreadable header) are skipped and listed, not fatal. */
export interface Decided {
  consent: ConsentView;
  skipped: string[];
}

/** A grant listed as the patient's that none of the keystore's keys signed as shown. */
export class NotYourGrantError extends Error {
  constructor() {
    super("this grant was not signed by your keys as it is listed");
    this.name = "NotYourGrantError";
  }
}

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
 * Grants `c` for the narrowed scope: signs the Grant and sends it alone, then adds the hospital's
 * wrapped key to every in-scope document page by page (`shareGranted`).
 */
export async function approveConsent(c: ConsentView, n: Narrowing, keys: Unlocked, onProgress: Progress): Promise<Decided> {
  const id = c.id;
  const grantee = await call(() => api.GET("/v1/consents/{id}/grantee-keys", { params: { path: { id } } }));
  if (!grantee.x25519_public_key || !grantee.ethereum_address) throw new GranteeKeysError();
  const myKeys = await call(() => api.GET("/v1/keys"));
  const patient = accountOf(myKeys, keys.address);
  const signing = await signingFor(patient, myKeys);

  const hiTypes = sortHiTypes(n.hiTypes);
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
  const consent = await call(() =>
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
      },
    }),
  );
  const skipped = await changeStanzas(id, keys, { add: fromHex(grantee.x25519_public_key) }, onProgress);
  return { consent, skipped };
}

/**
 * Finishes sharing a granted consent (after an interrupted approval): checks that the grant is
 * the keystore's own exactly as listed — a server must not get documents sealed to a hospital the
 * patient never granted — then adds the hospital's key to the documents still lacking it.
 */
export async function shareGranted(c: ConsentView, keys: Unlocked, onProgress: Progress): Promise<Decided> {
  const chain = await call(() => api.GET("/v1/chain"));
  if (!chain.contract_address) throw new NotYourGrantError();
  if ((await grantProblem(c, domain(chain.chain_id, getAddress(chain.contract_address)), keys.signers)) !== null) {
    throw new NotYourGrantError();
  }
  const grantee = await call(() => api.GET("/v1/consents/{id}/grantee-keys", { params: { path: { id: c.id } } }));
  if (!grantee.x25519_public_key) throw new GranteeKeysError();
  const skipped = await changeStanzas(c.id, keys, { add: fromHex(grantee.x25519_public_key) }, onProgress);
  return { consent: c, skipped };
}

/** How many in-scope documents of a granted consent still lack the hospital's key. */
export async function pendingCount(id: string): Promise<number> {
  const page = await call(() =>
    api.GET("/v1/consents/{id}/stanzas/pending", { params: { path: { id }, query: { limit: 1 } } }),
  );
  return page.remaining;
}

/**
 * Revokes `c` (a signed Revoke: the hospital's access ends at once), then takes the hospital's
 * wrapped key out of every document of mine that still has it. Run again on a consent already
 * revoked, it only finishes the second part (after a dropped connection).
 */
export async function revokeConsent(c: ConsentView, keys: Unlocked, onProgress: Progress): Promise<Decided> {
  const id = c.id;
  let consent = c;
  if (c.status === "GRANTED") {
    const patient = getAddress(c.patient_address ?? keys.address);
    const signing = await signingFor(patient);
    const message = { consentId: c.chain_consent_id as Hex, patient, nonce: signing.nonce, deadline: deadline() };
    const signature = await cryptoClient().sign(keys.key, signing.domain, { primaryType: "Revoke", message });
    consent = await call(() =>
      api.POST("/v1/consents/{id}/revoke", {
        params: { path: { id } },
        body: { nonce: Number(message.nonce), deadline: Number(message.deadline), signature },
      }),
    );
  }
  const grantee = await call(() => api.GET("/v1/consents/{id}/grantee-keys", { params: { path: { id } } }));
  if (!grantee.x25519_public_key) {
    onProgress(1, 1);
    return { consent, skipped: [] };
  }
  const kid = await keyId(fromHex(grantee.x25519_public_key));
  const skipped = await changeStanzas(id, keys, { remove: kid }, onProgress);
  return { consent, skipped };
}

/** How many of my documents still carry the key of a revoked consent's hospital. */
export async function staleCount(id: string): Promise<number> {
  const page = await call(() => api.GET("/v1/consents/{id}/stanzas/stale", { params: { path: { id }, query: { limit: 1 } } }));
  return page.remaining;
}

/** Documents per page sent, and header bytes (base64) per page: under the API's JSON limit. */
const PAGE_DOCS = 100;
const PAGE_BYTES = 40 * 1024;

/**
 * Lists the documents still waiting for the change, makes each new header in the worker and
 * sends them a page at a time; returns the ids of documents this device could not open. One
 * more pass picks up documents that changed while listed.
 */
export async function changeStanzas(
  id: string,
  keys: Unlocked,
  change: { add: Uint8Array } | { remove: Uint8Array },
  onProgress: Progress,
  holder: "consent" | "caregiver" = "consent",
): Promise<string[]> {
  const adding = "add" in change;
  let skipped: string[] = [];
  for (let pass = 0; pass < 3; pass++) {
    skipped = [];
    let changedMeanwhile = 0;
    let after: string | undefined;
    let total = 0;
    let changed = 0;
    for (;;) {
      const query = after ? { after, limit: 500 } : { limit: 500 };
      const params = { params: { path: { id }, query } };
      const page =
        holder === "caregiver"
          ? adding
            ? await call(() => api.GET("/v1/caregivers/{id}/stanzas/pending", params))
            : await call(() => api.GET("/v1/caregivers/{id}/stanzas/stale", params))
          : adding
            ? await call(() => api.GET("/v1/consents/{id}/stanzas/pending", params))
            : await call(() => api.GET("/v1/consents/{id}/stanzas/stale", params));
      total = adding ? page.total : Math.max(total, page.remaining + changed);
      onProgress(total - page.remaining, total);
      let batch: { document_id: string; base_sha256: string; header: string }[] = [];
      let bytes = 0;
      const send = async () => {
        if (batch.length === 0) return;
        const body = { headers: batch };
        const req = { params: { path: { id } }, body };
        const out =
          holder === "caregiver"
            ? adding
              ? await call(() => api.POST("/v1/caregivers/{id}/stanzas", req))
              : await call(() => api.POST("/v1/caregivers/{id}/stanzas/remove", req))
            : adding
              ? await call(() => api.POST("/v1/consents/{id}/stanzas", req))
              : await call(() => api.POST("/v1/consents/{id}/stanzas/remove", req));
        changedMeanwhile += out.changed_meanwhile.length;
        changed += out.changed.length;
        onProgress(total - out.remaining, total);
        batch = [];
        bytes = 0;
      };
      for (const d of page.documents) {
        const base = fromBase64(d.header);
        let header: Uint8Array;
        try {
          ({ header } = await cryptoClient().rewrap(keys.key, base, adding ? { add: [change.add] } : { remove: [change.remove] }));
        } catch {
          skipped.push(d.document_id);
          continue;
        }
        const item = { document_id: d.document_id, base_sha256: toHex(await sha256(base)), header: toBase64(header) };
        if (batch.length === PAGE_DOCS || (batch.length > 0 && bytes + item.header.length > PAGE_BYTES)) await send();
        batch.push(item);
        bytes += item.header.length;
      }
      await send();
      if (!page.next_after) break;
      after = page.next_after;
    }
    if (changedMeanwhile === 0) break;
  }
  return skipped;
}

async function sha256(b: Uint8Array): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.digest("SHA-256", b as BufferSource));
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
