//! The hospital's secrets sealed to one staff member (docs/staff.md): an administrator's
//! client seals the X25519 secret and the secp256k1 secret (the 64 bytes a keystore holds, in
//! that order) to the member's own X25519 key with RFC 9180 HPKE — base mode, DHKEM(X25519,
//! HKDF-SHA256), HKDF-SHA256, AES-256-GCM — with info `pramana/staff-keys/v1` and the member's
//! id (16 bytes) as additional data. The bundle is the encapsulated key (32 bytes) followed by
//! the ciphertext with its tag (80 bytes): 112 bytes the server stores without opening.

use hpke::aead::AesGcm256;
use hpke::kdf::HkdfSha256;
use hpke::kem::X25519HkdfSha256;
use hpke::rand_core::CryptoRng;
use hpke::{Deserializable, OpModeR, OpModeS, Serializable};
use zeroize::Zeroizing;

use super::{CryptoError, EncappedKey, Identity, PublicKey, Recipient, Result};

/// HPKE `info` of a staff key bundle.
pub const INFO: &[u8] = b"pramana/staff-keys/v1";
/// Bytes of a sealed bundle.
pub const SEALED_LEN: usize = 32 + 64 + 16;

/// Seals the hospital's 64 secret bytes to member `staff_id`'s key `to`.
pub fn seal(secrets: &[u8; 64], to: &Recipient, staff_id: &[u8; 16], rng: &mut impl CryptoRng) -> Result<Vec<u8>> {
    let pk = PublicKey::from_bytes(&to.0).map_err(|_| CryptoError::Recipients("not an X25519 public key"))?;
    let (enc, ct) = hpke::single_shot_seal_with_rng::<AesGcm256, HkdfSha256, X25519HkdfSha256>(
        &OpModeS::Base,
        &pk,
        INFO,
        secrets,
        staff_id,
        rng,
    )
    .map_err(|_| CryptoError::Recipients("cannot encrypt to this key (low-order point?)"))?;
    let mut out = enc.to_bytes().to_vec();
    out.extend_from_slice(&ct);
    Ok(out)
}

/// Opens a bundle sealed to `identity` for member `staff_id`; any failure is one opaque error.
pub fn open(sealed: &[u8], identity: &Identity, staff_id: &[u8; 16]) -> Result<Zeroizing<[u8; 64]>> {
    if sealed.len() != SEALED_LEN {
        return Err(CryptoError::Decrypt);
    }
    let enc = EncappedKey::from_bytes(&sealed[..32]).map_err(|_| CryptoError::Decrypt)?;
    let pt = Zeroizing::new(
        hpke::single_shot_open::<AesGcm256, HkdfSha256, X25519HkdfSha256>(
            &OpModeR::Base,
            &identity.sk,
            &enc,
            INFO,
            &sealed[32..],
            staff_id,
        )
        .map_err(|_| CryptoError::Decrypt)?,
    );
    let mut out = Zeroizing::new([0u8; 64]);
    if pt.len() != 64 {
        return Err(CryptoError::Decrypt);
    }
    out.copy_from_slice(&pt);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::envelope::os_rng;

    #[test]
    fn round_trip_and_binding() {
        let member = Identity::generate(&mut os_rng());
        let secrets = [7u8; 64];
        let id = [1u8; 16];
        let sealed = seal(&secrets, &member.recipient(), &id, &mut os_rng()).unwrap();
        assert_eq!(sealed.len(), SEALED_LEN);
        assert_eq!(*open(&sealed, &member, &id).unwrap(), secrets);
        // Another member's id, another key, a flipped bit: refused.
        assert!(open(&sealed, &member, &[2u8; 16]).is_err());
        assert!(open(&sealed, &Identity::generate(&mut os_rng()), &id).is_err());
        let mut bad = sealed.clone();
        bad[50] ^= 1;
        assert!(open(&bad, &member, &id).is_err());
        assert!(open(&sealed[..100], &member, &id).is_err());
    }

    /// `testdata/staff-keys-vector.json`, sealed by the portal (`web/src/crypto/staffKeys.ts`),
    /// whose test opens the same file.
    #[test]
    fn committed_vector() {
        let v: serde_json::Value =
            serde_json::from_str(include_str!("../../testdata/staff-keys-vector.json")).expect("vector");
        let hex = |k: &str| hex::decode(v[k].as_str().expect(k)).expect(k);
        let member = Identity::from_secret_bytes(&hex("member_secret").try_into().expect("32 bytes")).expect("member");
        assert_eq!(member.recipient().0.to_vec(), hex("member_public"));
        let id = uuid::Uuid::parse_str(v["staff_id"].as_str().expect("id")).expect("uuid");
        let opened = open(&hex("sealed"), &member, id.as_bytes()).expect("opens");
        assert_eq!(opened.to_vec(), hex("secrets"));
    }
}
