// The hospital's secrets sealed to one staff member (docs/staff.md), as
// core/src/envelope/staff_keys.rs does it: RFC 9180 HPKE base mode, DHKEM(X25519, HKDF-SHA256),
// HKDF-SHA256, AES-256-GCM; info `pramana/staff-keys/v1`, additional data the member's id (16
// bytes). The bundle is the encapsulated key (32) ‖ the ciphertext of the 64 secret bytes (the
// X25519 secret, then the secp256k1 secret) with its tag: 112 bytes.
import { concat, copy, fromHex, utf8, type Bytes } from "./bytes";
import { DecryptError, RecipientsError, suite, systemRng, type Identity, type Rng } from "./envelope";

export const STAFF_KEYS_INFO = utf8("pramana/staff-keys/v1");
export const STAFF_KEYS_LEN = 112;

/** A UUID's 16 bytes. */
export function uuidBytes(id: string): Bytes {
  const hex = id.replace(/-/g, "");
  if (!/^[0-9a-fA-F]{32}$/.test(hex)) throw new RecipientsError("not a member id");
  return fromHex(hex);
}

/** Seals the hospital's 64 secret bytes to member `staffId`'s X25519 public key. */
export async function sealStaffKeys(secrets: Uint8Array, memberPublic: Uint8Array, staffId: string, rng: Rng = systemRng): Promise<Bytes> {
  if (secrets.length !== 64) throw new RecipientsError("the hospital's secrets are 64 bytes");
  if (memberPublic.length !== 32) throw new RecipientsError("not an X25519 public key");
  const s = await suite();
  try {
    const pk = await s.kem.deserializePublicKey(copy(memberPublic));
    const sealed = await s.seal({ recipientPublicKey: pk, info: STAFF_KEYS_INFO, ekm: rng(32) }, copy(secrets), uuidBytes(staffId));
    return concat(new Uint8Array(sealed.enc), new Uint8Array(sealed.ct));
  } catch {
    throw new RecipientsError("cannot encrypt to this key (low-order point?)");
  }
}

/** Opens a bundle sealed to `identity` for member `staffId`: the 64 secret bytes. */
export async function openStaffKeys(sealed: Uint8Array, identity: Identity, staffId: string): Promise<Bytes> {
  try {
    if (sealed.length !== STAFF_KEYS_LEN) throw new DecryptError();
    const s = await suite();
    const sk = await s.kem.importKey("raw", copy(identity.secretKey).buffer, false);
    const pt = new Uint8Array(
      await s.open({ recipientKey: sk, enc: copy(sealed.subarray(0, 32)), info: STAFF_KEYS_INFO }, copy(sealed.subarray(32)), uuidBytes(staffId)),
    );
    if (pt.length !== 64) throw new DecryptError();
    return pt;
  } catch {
    throw new DecryptError();
  }
}
