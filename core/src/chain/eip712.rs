//! The EIP-712 messages a patient signs, matching `ConsentRegistry`'s `GRANT_TYPEHASH`,
//! `REVOKE_TYPEHASH` and `ROTATE_SIGNER_TYPEHASH` and its domain (`"Pramana ConsentRegistry"`, version `"1"`, chain id,
//! contract address). Signatures travel in EIP-2098 compact form (`r`, `yParityAndS`).

use alloy::primitives::{Address, B256, Signature, U256, keccak256, uint};
use alloy::signers::SignerSync as _;
use alloy::signers::local::PrivateKeySigner;
use alloy::sol_types::{Eip712Domain, SolStruct, SolValue, eip712_domain};

use super::ConsentRegistry;

alloy::sol! {
    /// A patient's grant of consent to a grantee (hospital).
    #[derive(Debug, PartialEq, Eq)]
    struct Grant {
        bytes32 consentId;
        address patient;
        address grantee;
        bytes32 scopeHash;
        uint64 validFrom;
        uint64 validUntil;
        uint64 nonce;
        uint64 deadline;
    }

    /// A patient's revocation of a consent.
    #[derive(Debug, PartialEq, Eq)]
    struct Revoke {
        bytes32 consentId;
        address patient;
        uint64 nonce;
        uint64 deadline;
    }

    /// A patient account's hand-over to a new signing key, signed by its current key.
    #[derive(Debug, PartialEq, Eq)]
    struct RotateSigner {
        address account;
        address newSigner;
        uint64 nonce;
        uint64 deadline;
    }
}

/// The contract's EIP-712 domain on `chain_id` at `contract`.
pub fn domain(chain_id: u64, contract: Address) -> Eip712Domain {
    eip712_domain! {
        name: "Pramana ConsentRegistry",
        version: "1",
        chain_id: chain_id,
        verifying_contract: contract,
    }
}

/// A grant with the patient's compact signature.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedGrant {
    /// The signed message.
    pub grant: Grant,
    /// EIP-2098 compact signature.
    pub signature: [u8; 64],
}

/// A revocation with the patient's compact signature.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedRevoke {
    /// The signed message.
    pub revoke: Revoke,
    /// EIP-2098 compact signature.
    pub signature: [u8; 64],
}

/// The latest time the contract stores (`uint40` seconds): `validUntil` above it reverts, and
/// the platform refuses any signed time (`validFrom`, `validUntil`, `deadline`) above it.
pub const MAX_CHAIN_TIME: u64 = (1 << 40) - 1;

/// The largest nonce the platform accepts (it is stored as a signed 64-bit integer; the
/// contract's nonces count up from 0 one call at a time).
pub const MAX_NONCE: u64 = i64::MAX as u64;

/// Half the secp256k1 group order: OpenZeppelin's `ECDSA` refuses any `s` above it
/// (`InvalidSignatureS`), so such a signature would never be accepted on chain.
const HALF_ORDER: U256 = uint!(0x7fffffffffffffffffffffffffffffff5d576e7357a4501ddfe92f46681b20a0_U256);

/// A key rotation with the current signer's compact signature.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedRotation {
    /// The signed message.
    pub rotation: RotateSigner,
    /// EIP-2098 compact signature.
    pub signature: [u8; 64],
}

impl SignedRotation {
    /// Checks that `current_signer` (the account's signer now) signed the rotation for `domain`.
    pub fn verify(&self, domain: &Eip712Domain, current_signer: Address) -> Result<(), SignatureError> {
        let hash = self.rotation.eip712_signing_hash(domain);
        (recover(&hash, &self.signature)? == current_signer).then_some(()).ok_or(SignatureError::NotThePatient)
    }

    /// The contract call.
    pub fn to_call(&self) -> ConsentRegistry::rotateSignerCall {
        let r = &self.rotation;
        ConsentRegistry::rotateSignerCall {
            account: r.account,
            newSigner: r.newSigner,
            nonce: r.nonce,
            deadline: r.deadline,
            signatureR: B256::from_slice(&self.signature[..32]),
            signatureVs: B256::from_slice(&self.signature[32..]),
        }
    }
}

/// Why a signature does not belong to the message's patient.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    /// Malformed, or recovers to someone other than the patient.
    #[error("signature is not the patient's")]
    NotThePatient,
    /// `s` is in the upper half of the curve order (a malleated signature), which the contract
    /// refuses whoever signed.
    #[error("signature has a high s value, which the contract refuses")]
    HighS,
}

/// The signer of `hash`, for a compact signature the contract would accept.
fn recover(hash: &B256, compact: &[u8; 64]) -> Result<Address, SignatureError> {
    let sig = Signature::from_erc2098(compact);
    if sig.s() > HALF_ORDER {
        return Err(SignatureError::HighS);
    }
    sig.recover_address_from_prehash(hash).map_err(|_| SignatureError::NotThePatient)
}

impl SignedGrant {
    /// Checks that the patient named in the grant signed it for `domain` (an account whose
    /// signer was never rotated).
    pub fn verify(&self, domain: &Eip712Domain) -> Result<(), SignatureError> {
        self.verify_by(domain, self.grant.patient)
    }

    /// Checks that `signer` (the patient account's signing key now) signed it for `domain`.
    pub fn verify_by(&self, domain: &Eip712Domain, signer: Address) -> Result<(), SignatureError> {
        let hash = self.grant.eip712_signing_hash(domain);
        (recover(&hash, &self.signature)? == signer).then_some(()).ok_or(SignatureError::NotThePatient)
    }

    /// The contract call's argument.
    pub fn to_request(&self) -> ConsentRegistry::GrantRequest {
        let g = &self.grant;
        ConsentRegistry::GrantRequest {
            consentId: g.consentId,
            patient: g.patient,
            grantee: g.grantee,
            scopeHash: g.scopeHash,
            validFrom: g.validFrom,
            validUntil: g.validUntil,
            nonce: g.nonce,
            deadline: g.deadline,
            signatureR: B256::from_slice(&self.signature[..32]),
            signatureVs: B256::from_slice(&self.signature[32..]),
        }
    }
}

impl SignedRevoke {
    /// Checks that the patient named in the revocation signed it for `domain` (an account whose
    /// signer was never rotated).
    pub fn verify(&self, domain: &Eip712Domain) -> Result<(), SignatureError> {
        self.verify_by(domain, self.revoke.patient)
    }

    /// Checks that `signer` (the patient account's signing key now) signed it for `domain`.
    pub fn verify_by(&self, domain: &Eip712Domain, signer: Address) -> Result<(), SignatureError> {
        let hash = self.revoke.eip712_signing_hash(domain);
        (recover(&hash, &self.signature)? == signer).then_some(()).ok_or(SignatureError::NotThePatient)
    }

    /// The contract call's argument; `grantee` and `scope_hash` must match the stored consent.
    pub fn to_request(&self, grantee: Address, scope_hash: B256) -> ConsentRegistry::RevokeRequest {
        let r = &self.revoke;
        ConsentRegistry::RevokeRequest {
            consentId: r.consentId,
            patient: r.patient,
            grantee,
            scopeHash: scope_hash,
            nonce: r.nonce,
            deadline: r.deadline,
            signatureR: B256::from_slice(&self.signature[..32]),
            signatureVs: B256::from_slice(&self.signature[32..]),
        }
    }
}

/// A patient's signing key (secp256k1), used by the client.
#[derive(Debug, Clone)]
pub struct ConsentSigner {
    signer: PrivateKeySigner,
}

/// A signing failure (only possible with a broken key).
#[derive(Debug, thiserror::Error)]
#[error("signing failed: {0}")]
pub struct SignError(#[from] alloy::signers::Error);

impl ConsentSigner {
    /// Wraps a local private key.
    pub fn new(signer: PrivateKeySigner) -> Self {
        Self { signer }
    }

    /// A fresh random key.
    pub fn random() -> Self {
        Self::new(PrivateKeySigner::random())
    }

    /// The patient's address.
    pub fn address(&self) -> Address {
        self.signer.address()
    }

    /// Signs a grant (the grant's `patient` should be [`Self::address`]).
    pub fn sign_grant(&self, grant: Grant, domain: &Eip712Domain) -> Result<SignedGrant, SignError> {
        let sig = self.signer.sign_hash_sync(&grant.eip712_signing_hash(domain))?;
        Ok(SignedGrant { grant, signature: sig.as_erc2098() })
    }

    /// Signs a revocation.
    pub fn sign_revoke(&self, revoke: Revoke, domain: &Eip712Domain) -> Result<SignedRevoke, SignError> {
        let sig = self.signer.sign_hash_sync(&revoke.eip712_signing_hash(domain))?;
        Ok(SignedRevoke { revoke, signature: sig.as_erc2098() })
    }

    /// Signs a hand-over of `rotation.account` to `rotation.newSigner` (this key must be the
    /// account's signer now).
    pub fn sign_rotation(&self, rotation: RotateSigner, domain: &Eip712Domain) -> Result<SignedRotation, SignError> {
        let sig = self.signer.sign_hash_sync(&rotation.eip712_signing_hash(domain))?;
        Ok(SignedRotation { rotation, signature: sig.as_erc2098() })
    }
}

/// `bytes20(keccak256(abi.encode(patient, grantee, scopeHash)))`, the consent's stored commitment.
pub fn parties_commitment(patient: Address, grantee: Address, scope_hash: B256) -> [u8; 20] {
    let h = keccak256((patient, grantee, scope_hash).abi_encode());
    let mut out = [0u8; 20];
    out.copy_from_slice(&h[..20]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy::primitives::address;

    #[test]
    fn type_strings_match_the_contract() {
        assert_eq!(
            Grant::eip712_encode_type(),
            "Grant(bytes32 consentId,address patient,address grantee,bytes32 scopeHash,uint64 validFrom,uint64 validUntil,uint64 nonce,uint64 deadline)"
        );
        assert_eq!(
            Revoke::eip712_encode_type(),
            "Revoke(bytes32 consentId,address patient,uint64 nonce,uint64 deadline)"
        );
        assert_eq!(
            RotateSigner::eip712_encode_type(),
            "RotateSigner(address account,address newSigner,uint64 nonce,uint64 deadline)"
        );
    }

    #[test]
    fn signatures_verify_only_for_the_patient_and_the_domain() {
        let patient = ConsentSigner::random();
        let d = domain(31337, address!("0x5FbDB2315678afecb367f032d93F642f64180aa3"));
        let grant = Grant {
            consentId: B256::repeat_byte(1),
            patient: patient.address(),
            grantee: Address::repeat_byte(2),
            scopeHash: B256::repeat_byte(3),
            validFrom: 10,
            validUntil: 20,
            nonce: 0,
            deadline: 30,
        };
        let signed = patient.sign_grant(grant.clone(), &d).unwrap();
        assert!(signed.verify(&d).is_ok());
        assert!(signed.verify(&domain(1, d.verifying_contract.unwrap())).is_err(), "another chain");
        let mut tampered = signed;
        tampered.grant.validUntil = 21;
        assert_eq!(tampered.verify(&d), Err(SignatureError::NotThePatient));
        let forged = ConsentSigner::random().sign_grant(grant, &d).unwrap();
        assert_eq!(forged.verify(&d), Err(SignatureError::NotThePatient));
    }

    /// Fixed messages, digests and signatures in `core/testdata/eip712-vectors.json`, so another
    /// implementation (the web client) can check itself. `PRAMANA_WRITE_VECTORS=1` rewrites it.
    #[test]
    fn committed_vectors() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/testdata/eip712-vectors.json");
        let key = B256::repeat_byte(0x42);
        let signer = ConsentSigner::new(PrivateKeySigner::from_bytes(&key).unwrap());
        let contract = address!("0x5FbDB2315678afecb367f032d93F642f64180aa3");
        let d = domain(31337, contract);
        let grant = Grant {
            consentId: B256::repeat_byte(1),
            patient: signer.address(),
            grantee: Address::repeat_byte(2),
            scopeHash: B256::repeat_byte(3),
            validFrom: 1_795_384_800,
            validUntil: MAX_CHAIN_TIME,
            nonce: 7,
            deadline: 1_795_388_400,
        };
        let revoke = Revoke {
            consentId: B256::repeat_byte(1),
            patient: signer.address(),
            nonce: MAX_NONCE,
            deadline: 1_795_392_000,
        };
        let rotation = RotateSigner {
            account: signer.address(),
            newSigner: Address::repeat_byte(4),
            nonce: 0,
            deadline: u64::MAX,
        };
        let hex = |b: &[u8]| crate::hex0x(b);
        let cases = [
            serde_json::json!({
                "primary_type": "Grant",
                "type": Grant::eip712_encode_type(),
                "message": {
                    "consentId": grant.consentId.to_string(),
                    "patient": grant.patient.to_checksum(None),
                    "grantee": grant.grantee.to_checksum(None),
                    "scopeHash": grant.scopeHash.to_string(),
                    "validFrom": grant.validFrom.to_string(),
                    "validUntil": grant.validUntil.to_string(),
                    "nonce": grant.nonce.to_string(),
                    "deadline": grant.deadline.to_string(),
                },
                "struct_hash": grant.eip712_hash_struct().to_string(),
                "signing_hash": grant.eip712_signing_hash(&d).to_string(),
                "signature": hex(&signer.sign_grant(grant, &d).unwrap().signature),
            }),
            serde_json::json!({
                "primary_type": "Revoke",
                "type": Revoke::eip712_encode_type(),
                "message": {
                    "consentId": revoke.consentId.to_string(),
                    "patient": revoke.patient.to_checksum(None),
                    "nonce": revoke.nonce.to_string(),
                    "deadline": revoke.deadline.to_string(),
                },
                "struct_hash": revoke.eip712_hash_struct().to_string(),
                "signing_hash": revoke.eip712_signing_hash(&d).to_string(),
                "signature": hex(&signer.sign_revoke(revoke, &d).unwrap().signature),
            }),
            serde_json::json!({
                "primary_type": "RotateSigner",
                "type": RotateSigner::eip712_encode_type(),
                "message": {
                    "account": rotation.account.to_checksum(None),
                    "newSigner": rotation.newSigner.to_checksum(None),
                    "nonce": rotation.nonce.to_string(),
                    "deadline": rotation.deadline.to_string(),
                },
                "struct_hash": rotation.eip712_hash_struct().to_string(),
                "signing_hash": rotation.eip712_signing_hash(&d).to_string(),
                "signature": hex(&signer.sign_rotation(rotation, &d).unwrap().signature),
            }),
        ];
        let doc = serde_json::to_string_pretty(&serde_json::json!({
            "what": "Pramana EIP-712 vectors (core/src/chain/eip712.rs): uint64 values as decimal strings; signatures are EIP-2098 compact (r || yParityAndS), RFC 6979 deterministic",
            "signer_private_key": key.to_string(),
            "signer_address": signer.address().to_checksum(None),
            "domain": { "name": "Pramana ConsentRegistry", "version": "1", "chainId": 31337, "verifyingContract": contract.to_checksum(None) },
            "domain_separator": d.separator().to_string(),
            "cases": cases,
        }))
        .unwrap()
            + "\n";
        if std::env::var_os("PRAMANA_WRITE_VECTORS").is_some() {
            std::fs::write(path, &doc).unwrap();
        }
        let committed = std::fs::read_to_string(path).expect("vectors file (PRAMANA_WRITE_VECTORS=1 writes it)");
        assert!(committed == doc, "EIP-712 vectors changed: the contract's typed data is frozen");
    }

    /// The malleated twin of a valid signature, `(r, n - s)` with the parity flipped, recovers to
    /// the same patient, but OpenZeppelin's `ECDSA` refuses it: so must the platform.
    #[test]
    fn high_s_twin_of_a_valid_signature_is_refused() {
        let patient = ConsentSigner::random();
        let d = domain(31337, address!("0x5FbDB2315678afecb367f032d93F642f64180aa3"));
        let revoke = Revoke { consentId: B256::repeat_byte(7), patient: patient.address(), nonce: 0, deadline: 99 };
        let signed = patient.sign_revoke(revoke, &d).unwrap();
        assert!(signed.verify(&d).is_ok());
        let sig = Signature::from_erc2098(&signed.signature);
        let n = uint!(0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141_U256);
        let twin = Signature::new(sig.r(), n - sig.s(), !sig.v());
        let hash = signed.revoke.eip712_signing_hash(&d);
        assert_eq!(twin.recover_address_from_prehash(&hash).unwrap(), patient.address(), "same signer");
        // EIP-2098 keeps s's top bit for the parity, so a high s is sent as 65 bytes or as a
        // compact form whose s still exceeds n/2 after masking; both must be refused.
        let mut compact = [0u8; 64];
        compact[..32].copy_from_slice(&twin.r().to_be_bytes::<32>());
        compact[32..].copy_from_slice(&twin.s().to_be_bytes::<32>());
        let malleated = SignedRevoke { revoke: signed.revoke.clone(), signature: compact };
        assert!(malleated.verify(&d).is_err(), "a high-s signature is refused");
        let mut high = signed;
        high.signature[32..].copy_from_slice(&(HALF_ORDER + U256::from(1)).to_be_bytes::<32>());
        assert_eq!(high.verify(&d), Err(SignatureError::HighS));
    }
}
