// The other side of the consent, access and export journeys, done through the API from Node as
// the users' own tools would: a patient's device sealing and uploading a document (the page's
// own envelope code, run here), a hospital asking for consent or reading a document.
import { generateKeyPairSync, randomUUID } from "node:crypto";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import { fromHex, toHex } from "../src/crypto/bytes";
import { collect, seal } from "../src/crypto/envelope";
import { BASE, apiCall, loginAs, newHfrId, type Hospital } from "./platform";

/**
 * A hospital that can be granted consent: registered by the operator, with an X25519 key (to be
 * added to documents) and an Ethereum address (the grant's grantee), as `newHospital()` plus the
 * address.
 */
export async function newGranteeHospital(name: string): Promise<Hospital & { address: string }> {
  const admin = await loginAs("admin", process.env.PRAMANA_ADMIN_PASSWORD ?? "");
  const hfrId = newHfrId();
  const created = await apiCall<{ hospital: { id: string }; api_secret: string }>("POST", "/v1/admin/hospitals", { hfr_id: hfrId, name }, admin);
  const token = await loginAs(hfrId, created.api_secret);
  const { publicKey } = generateKeyPairSync("x25519");
  const x25519Public = (publicKey.export({ format: "der", type: "spki" }) as Buffer).subarray(-32).toString("hex");
  const address = privateKeyToAccount(generatePrivateKey()).address;
  for (const [kind, key] of [["x25519", x25519Public], ["ethereum", address]]) {
    await apiCall("POST", "/v1/keys", { kind, public_key: key, password: created.api_secret }, token);
  }
  return { id: created.hospital.id, hfrId, name, token, x25519Public, address };
}

export interface Session {
  token: string;
  subjectId: string;
}

export async function signIn(login: string, password: string): Promise<Session> {
  const r = await apiCall<{ access_token: string; subject_id: string }>("POST", "/v1/auth/login", { login, password });
  return { token: r.access_token, subjectId: r.subject_id };
}

/** A patient's current X25519 key, as the platform lists it. */
export async function x25519Of(token: string): Promise<string> {
  const keys = await apiCall<{ kind: string; public_key: string; retired_at: string | null }[]>("GET", "/v1/keys", undefined, token);
  const k = keys.find((k) => k.kind === "x25519" && !k.retired_at);
  if (!k) throw new Error("no X25519 key registered");
  return k.public_key;
}

/**
 * Seals `text` for `recipients` (X25519 public keys, hex) and uploads it with `token` (a patient,
 * or a hospital naming the patient); returns the document id.
 */
export async function uploadDocument(
  token: string,
  recipients: string[],
  doc: { hiType: string; careDate: string; text: string; patientId?: string; breakMac?: boolean },
): Promise<string> {
  const id = randomUUID();
  const { bytes, result } = await collect(
    seal([new TextEncoder().encode(doc.text)], { docId: fromHex(id.replaceAll("-", "")), recipients: recipients.map((r) => fromHex(r)) }),
  );
  if (doc.breakMac) {
    // The header's last byte is its MAC's (the server cannot check it; a key holder's device can).
    const macEnd = 46 + 97 * recipients.length + 32;
    bytes[macEnd - 1] = (bytes[macEnd - 1] ?? 0) ^ 1;
  }
  const q = new URLSearchParams({
    hi_type: doc.hiType,
    care_date: doc.careDate,
    plaintext_sha256: toHex(result.plaintextSha256),
    salt: toHex(result.salt),
    payload_sha256: toHex(result.payloadSha256),
    ...(doc.patientId ? { patient_id: doc.patientId } : {}),
  });
  const r = await fetch(`${BASE}/v1/documents/${id}?${q}`, {
    method: "PUT",
    headers: { authorization: `Bearer ${token}`, "content-type": "application/octet-stream" },
    body: bytes,
  });
  if (r.status !== 201) throw new Error(`upload: ${r.status} ${await r.text()}`);
  return id;
}

/** The hospital asks to add documents to the patient's record (the patient decides in the portal). */
export async function requestLink(hospital: Hospital, abha: string): Promise<{ id: string; status: string }> {
  return apiCall("POST", "/v1/links", { patient_abha_number: abha }, hospital.token);
}

export interface ConsentView {
  id: string;
  status: string;
  patient_id: string;
  hi_types: string[];
  chain: { grant?: { state: string } | null; revoke?: { state: string } | null };
}

const DAY = 86_400_000;

/** The hospital asks the patient for consent: two record types over 18 months of care. */
export async function requestConsent(hospital: Hospital, abha: string, purpose = "CAREMGT"): Promise<ConsentView> {
  return apiCall<ConsentView>(
    "POST",
    "/v1/consents",
    {
      patient_abha_number: abha,
      purpose,
      hi_types: ["DiagnosticReport", "Prescription"],
      access_mode: "VIEW",
      date_range: { from: "2025-01-01", to: "2026-06-30" },
      data_erase_at: new Date(Date.now() + 90 * DAY).toISOString(),
      frequency: { unit: "DAY", value: 1, repeats: 0 },
      expires_at: new Date(Date.now() + 7 * DAY).toISOString(),
    },
    hospital.token,
  );
}

/** What the hospital gets for a document: its metadata (with the hospital's own stanza), or the status. */
export async function hospitalReads(hospital: Hospital, documentId: string): Promise<{ status: number; myStanza?: string | null }> {
  const r = await fetch(`${BASE}/v1/documents/${documentId}`, { headers: { authorization: `Bearer ${hospital.token}` } });
  if (!r.ok) return { status: r.status };
  const body = (await r.json()) as { my_stanza: string | null };
  return { status: r.status, myStanza: body.my_stanza };
}
