// Pairing a new device (docs/devices.md). The new device makes an X25519 key pair; the code the
// person types commits to its public key (the first 60 bits of SHA-256 over a label and the key,
// Crockford base32), so a device with the keys checks that the key the server hands it is the
// one the code names before it seals the two secrets to it with HPKE (the envelope's suite:
// DHKEM(X25519, HKDF-SHA256), HKDF-SHA256, AES-256-GCM; info = label ‖ the pairing id's 16
// bytes; no aad). No DOM: runs in the worker, a page or Node.
import { concat, copy, fromHex, utf8, type Bytes } from "./bytes";
import { DecryptError, suite, type Identity } from "./envelope";

export const CODE_LEN = 12;
export const CODE_DOMAIN = utf8("pramana/device-pairing/v1/code");
export const SEAL_INFO = utf8("pramana/device-pairing/v1/keys");
const ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/** The code for a 32-byte public key: 12 characters of Crockford base32. */
export async function codeFor(publicKey: Uint8Array): Promise<string> {
  const d = new Uint8Array(await crypto.subtle.digest("SHA-256", concat(CODE_DOMAIN, publicKey)));
  let bits = 0n;
  for (const b of d.subarray(0, 8)) bits = (bits << 8n) | BigInt(b);
  let out = "";
  for (let i = 0; i < CODE_LEN; i++) out += ALPHABET[Number((bits >> BigInt(59 - 5 * i)) & 31n)];
  return out;
}

/** A code as typed: case, spaces and dashes ignored, I/L read as 1 and O as 0; null if not a code. */
export function normalizeCode(typed: string): string | null {
  let out = "";
  for (const raw of typed.toUpperCase()) {
    if (raw === " " || raw === "-") continue;
    const c = raw === "I" || raw === "L" ? "1" : raw === "O" ? "0" : raw;
    if (!ALPHABET.includes(c) || out.length === CODE_LEN) return null;
    out += c;
  }
  return out.length === CODE_LEN ? out : null;
}

/** A code shown in groups of four: `10K7-DW6X-Z1W3`. */
export function formatCode(code: string): string {
  return code.match(/.{1,4}/g)?.join("-") ?? code;
}

/** The 16 bytes of a UUID in its text form. */
export function uuidBytes(id: string): Bytes {
  return fromHex(id.replace(/-/g, ""));
}

export function sealInfo(pairingId: string): Bytes {
  return concat(SEAL_INFO, uuidBytes(pairingId));
}

/** Seals `plaintext` to `publicKey` for pairing `pairingId`: enc (32 bytes) ‖ ciphertext. */
export async function sealToDevice(publicKey: Uint8Array, pairingId: string, plaintext: Uint8Array): Promise<Bytes> {
  const s = await suite();
  const pk = await s.kem.deserializePublicKey(copy(publicKey));
  const sealed = await s.seal({ recipientPublicKey: pk, info: sealInfo(pairingId) }, copy(plaintext));
  return concat(new Uint8Array(sealed.enc), new Uint8Array(sealed.ct));
}

/** Opens what `sealToDevice` made, with the new device's identity. */
export async function openOnDevice(identity: Identity, pairingId: string, sealed: Uint8Array): Promise<Bytes> {
  try {
    const s = await suite();
    const sk = await s.kem.importKey("raw", copy(identity.secretKey).buffer, false);
    const pt = await s.open({ recipientKey: sk, enc: copy(sealed.subarray(0, 32)), info: sealInfo(pairingId) }, copy(sealed.subarray(32)));
    return new Uint8Array(pt);
  } catch {
    throw new DecryptError();
  }
}
