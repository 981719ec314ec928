//! A patient's export archive (format in `docs/export.md`): the manifest and consent records
//! the API writes and `pramana verify --archive` reads, and the pure checks of a consent's
//! signed grant and revocation. No I/O here; reading the tar and asking the chain are the
//! client's.

use alloy::primitives::{Address, B256};
use alloy::sol_types::Eip712Domain;
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::chain::eip712::{Grant, Revoke, RotateSigner, SignedGrant, SignedRevoke, SignedRotation};
use crate::consent::{AccessMode, ConsentScope, HiType, Purpose, chain_consent_id};

/// The manifest's `format`.
pub const FORMAT: &str = "pramana-export";
/// The archive layout this code writes.
pub const VERSION: u32 = 2;
/// The layouts this code reads: 1 (the manifest hashes each envelope) and 2 (it gives each
/// envelope's size; the envelope is the metadata's header followed by the payload the metadata
/// hashes, so the archive can be streamed with the manifest first).
pub const READ_VERSIONS: [u32; 2] = [1, VERSION];
/// Path of the manifest inside the archive.
pub const MANIFEST_PATH: &str = "manifest.json";
/// Path of the consent records inside the archive.
pub const CONSENTS_PATH: &str = "consents.json";

/// Path of a document's envelope inside the archive.
pub fn envelope_path(id: &Uuid) -> String {
    format!("documents/{id}.envelope")
}

/// Path of a document's proof bundle inside the archive.
pub fn proof_path(id: &Uuid) -> String {
    format!("proofs/{id}.json")
}

/// `manifest.json`: what the archive holds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    /// Always `"pramana-export"`.
    pub format: String,
    /// 2 for what this code writes; 1 is still read ([`READ_VERSIONS`]).
    pub version: u32,
    /// When the platform built the archive.
    pub exported_at: DateTime<Utc>,
    /// Whose archive it is.
    pub patient: ExportedPatient,
    /// The chain and contract the platform anchors to and consents are signed for.
    pub chain: ExportedChain,
    /// Every document, deleted ones included, oldest first.
    pub documents: Vec<ExportedDocument>,
    /// Path of the consent records (`consents.json`).
    pub consents: String,
}

/// The patient.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExportedPatient {
    /// Patient id on the platform.
    pub id: Uuid,
    /// ABHA number, `XX-XXXX-XXXX-XXXX`.
    pub abha_number: String,
    /// Every hand-over of the patient's account to a new signing key, oldest first (none the
    /// chain refused; a pending one is included). Absent when the account was never rotated.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub signer_rotations: Vec<ExportedRotation>,
}

/// A signed `RotateSigner`: the account's signer before it handed the account to `new_signer`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExportedRotation {
    /// The account (the patient's first Ethereum key), `0x` address.
    pub account: String,
    /// The key it was handed to.
    pub new_signer: String,
    /// The account nonce it consumed.
    pub nonce: u64,
    /// Signature deadline (Unix seconds).
    pub deadline: u64,
    /// EIP-2098 compact signature, `0x` + 128 hex digits.
    pub signature: String,
}

impl ExportedRotation {
    /// The signed message, parsed.
    pub fn to_signed(&self) -> Result<SignedRotation, String> {
        Ok(SignedRotation {
            rotation: RotateSigner {
                account: parse_address("account", &self.account)?,
                newSigner: parse_address("new_signer", &self.new_signer)?,
                nonce: self.nonce,
                deadline: self.deadline,
            },
            signature: parse_sig(&self.signature)?,
        })
    }
}

/// Who signed for the patient's account when: the account itself from nonce 0, then each key a
/// rotation handed it to, from the nonce after the rotation's. Built offline from the archive's
/// rotations, each checked against the signer before it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SignerHistory {
    account: Option<Address>,
    /// (signer, first nonce it signs), in order.
    tenures: Vec<(Address, u64)>,
}

impl SignerHistory {
    /// Checks `rotations` (oldest first) for `domain`: each names the same account, carries a
    /// higher nonce than the one before and is signed by the account's signer then. Returns the
    /// history up to the first rotation that does not hold, and every problem found.
    pub fn check(rotations: &[ExportedRotation], domain: &Eip712Domain) -> (Self, Vec<String>) {
        let mut history = Self::default();
        let mut problems = Vec::new();
        for (i, r) in rotations.iter().enumerate() {
            let signed = match r.to_signed() {
                Ok(s) => s,
                Err(e) => {
                    problems.push(format!("signer rotation {i}: {e}"));
                    break;
                }
            };
            let account = *history.account.get_or_insert(signed.rotation.account);
            if history.tenures.is_empty() {
                history.tenures.push((account, 0));
            }
            let (current, from) = history.tenures.last().copied().unwrap_or((account, 0));
            if signed.rotation.account != account || signed.rotation.nonce < from {
                problems.push(format!("signer rotation {i} does not follow the one before (account, nonce)"));
                break;
            }
            if signed.verify(domain, current).is_err() {
                problems.push(format!(
                    "signer rotation {i} is not signed by the account's signer before it for this contract"
                ));
                break;
            }
            history.tenures.push((signed.rotation.newSigner, signed.rotation.nonce.saturating_add(1)));
        }
        (history, problems)
    }

    /// The key that had to sign a message of `patient` carrying `nonce`: `patient` itself unless
    /// it is the rotated account.
    pub fn signer_for(&self, patient: Address, nonce: u64) -> Address {
        if self.account != Some(patient) {
            return patient;
        }
        self.tenures.iter().rev().find(|(_, from)| *from <= nonce).map_or(patient, |(signer, _)| *signer)
    }
}

/// The chain deployment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExportedChain {
    /// EVM chain id.
    pub chain_id: u64,
    /// ConsentRegistry address (EIP-55), when the platform has one configured.
    pub contract: Option<String>,
}

/// One document in the manifest.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExportedDocument {
    /// Document id (also bound into its envelope).
    pub id: Uuid,
    /// The metadata exactly as `GET /v1/documents/{id}` shows it to the patient.
    pub metadata: serde_json::Value,
    /// `pending`, `submitted` or `confirmed` (only confirmed documents have a proof).
    pub anchor_state: String,
    /// Set when the document was deleted (crypto-shredded): no envelope then.
    pub deleted_at: Option<DateTime<Utc>>,
    /// Path of the envelope (`documents/<id>.envelope`), absent once deleted.
    pub envelope: Option<String>,
    /// Version 1 only: SHA-256 of the envelope file (`0x` + 64 hex digits), absent once deleted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub envelope_sha256: Option<String>,
    /// Version 2: length of the envelope file in bytes, absent once deleted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub envelope_size: Option<u64>,
    /// Path of the proof bundle (`proofs/<id>.json`), present once confirmed.
    pub proof: Option<String>,
}

/// One consent artefact in `consents.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExportedConsent {
    /// The artefact exactly as `GET /v1/consents/{id}` shows it to the patient.
    pub artefact: serde_json::Value,
    /// The patient's signed EIP-712 grant, once granted.
    pub grant: Option<ExportedGrant>,
    /// The patient's signed EIP-712 revocation, once revoked.
    pub revocation: Option<ExportedRevocation>,
}

/// A signed grant: the EIP-712 `Grant` fields and the signature (docs/contract.md).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExportedGrant {
    /// `consentId` (`0x` + 64 hex digits).
    pub consent_id: String,
    /// `patient` (EIP-55).
    pub patient: String,
    /// `grantee` (EIP-55).
    pub grantee: String,
    /// `scopeHash` (`0x` + 64 hex digits).
    pub scope_hash: String,
    /// `validFrom` (Unix seconds).
    pub valid_from: u64,
    /// `validUntil` (Unix seconds): the artefact's `data_erase_at`.
    pub valid_until: u64,
    /// `nonce`.
    pub nonce: u64,
    /// `deadline` (Unix seconds).
    pub deadline: u64,
    /// EIP-2098 compact signature (`0x` + 128 hex digits).
    pub signature: String,
}

/// A signed revocation: the EIP-712 `Revoke` fields and the signature.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExportedRevocation {
    /// `consentId`.
    pub consent_id: String,
    /// `patient` (EIP-55).
    pub patient: String,
    /// `nonce`.
    pub nonce: u64,
    /// `deadline` (Unix seconds).
    pub deadline: u64,
    /// EIP-2098 compact signature.
    pub signature: String,
    /// When the platform recorded it.
    pub revoked_at: Option<DateTime<Utc>>,
}

pub use crate::hex0x;

fn parse_sig(s: &str) -> Result<[u8; 64], String> {
    let mut out = [0u8; 64];
    hex::decode_to_slice(s.trim_start_matches("0x"), &mut out)
        .map_err(|_| "the signature is not 0x and 128 hex digits".to_owned())?;
    Ok(out)
}

fn parse_b256(field: &str, s: &str) -> Result<B256, String> {
    s.parse().map_err(|_| format!("{field} is not 0x and 64 hex digits"))
}

fn parse_address(field: &str, s: &str) -> Result<Address, String> {
    s.parse().map_err(|_| format!("{field} is not an address"))
}

impl ExportedGrant {
    /// The signed message, parsed.
    pub fn to_signed(&self) -> Result<SignedGrant, String> {
        Ok(SignedGrant {
            grant: Grant {
                consentId: parse_b256("consent_id", &self.consent_id)?,
                patient: parse_address("patient", &self.patient)?,
                grantee: parse_address("grantee", &self.grantee)?,
                scopeHash: parse_b256("scope_hash", &self.scope_hash)?,
                validFrom: self.valid_from,
                validUntil: self.valid_until,
                nonce: self.nonce,
                deadline: self.deadline,
            },
            signature: parse_sig(&self.signature)?,
        })
    }
}

impl ExportedRevocation {
    /// The signed message, parsed.
    pub fn to_signed(&self) -> Result<SignedRevoke, String> {
        Ok(SignedRevoke {
            revoke: Revoke {
                consentId: parse_b256("consent_id", &self.consent_id)?,
                patient: parse_address("patient", &self.patient)?,
                nonce: self.nonce,
                deadline: self.deadline,
            },
            signature: parse_sig(&self.signature)?,
        })
    }
}

/// The artefact fields a grant's `consentId`, `scopeHash` and `validUntil` are derived from.
#[derive(Debug, Deserialize)]
struct ArtefactScope {
    id: Uuid,
    purpose: String,
    hi_types: Vec<String>,
    access_mode: String,
    date_range: DateRange,
    data_erase_at: DateTime<Utc>,
    frequency: Frequency,
}

#[derive(Debug, Deserialize)]
struct DateRange {
    from: NaiveDate,
    to: NaiveDate,
}

#[derive(Debug, Deserialize)]
struct Frequency {
    unit: String,
    value: u32,
    repeats: u32,
}

impl ArtefactScope {
    fn scope(&self) -> Result<ConsentScope, String> {
        let bad = |what: &str| format!("the artefact's {what} is not valid");
        Ok(ConsentScope {
            purpose: Purpose::parse(&self.purpose).map_err(|_| bad("purpose"))?,
            hi_types: self
                .hi_types
                .iter()
                .map(|t| HiType::parse(t))
                .collect::<Result<_, _>>()
                .map_err(|_| bad("hi_types"))?,
            access_mode: AccessMode::parse(&self.access_mode).map_err(|_| bad("access_mode"))?,
            date_from: self.date_range.from,
            date_to: self.date_range.to,
            frequency_unit: self.frequency.unit.clone(),
            frequency_value: self.frequency.value,
            frequency_repeats: self.frequency.repeats,
        })
    }
}

impl ExportedConsent {
    /// Checks, without the chain, that the grant and revocation were signed by the patient they
    /// name for `domain`, that they belong to this artefact (consent id from its UUID, scope hash
    /// from its scope, `validUntil` equal to its `data_erase_at`), that the revocation names the
    /// grant's consent and patient, and that the artefact's status agrees with which signatures
    /// exist. Returns every problem found (empty: the signatures hold).
    pub fn check_signatures(&self, domain: &Eip712Domain) -> Vec<String> {
        self.check_signatures_by(domain, &SignerHistory::default())
    }

    /// [`Self::check_signatures`] for an account whose signer was rotated: each message must be
    /// signed by the key that signed for its patient at its nonce (`signers`).
    pub fn check_signatures_by(&self, domain: &Eip712Domain, signers: &SignerHistory) -> Vec<String> {
        let mut problems = Vec::new();
        let status = self.artefact["status"].as_str().unwrap_or_default();
        let needs_grant = matches!(status, "GRANTED" | "REVOKED");
        if needs_grant && self.grant.is_none() {
            problems.push(format!("the artefact is {status} but carries no signed grant"));
        }
        if (status == "REVOKED") != self.revocation.is_some() {
            problems.push(format!(
                "the artefact is {status} but a signed revocation is {}",
                match self.revocation {
                    Some(_) => "present",
                    None => "missing",
                }
            ));
        }
        let artefact = serde_json::from_value::<ArtefactScope>(self.artefact.clone())
            .map_err(|e| format!("the artefact is not readable: {e}"));
        let mut granted: Option<SignedGrant> = None;
        if let Some(g) = &self.grant {
            match g.to_signed() {
                Err(e) => problems.push(format!("grant: {e}")),
                Ok(signed) => {
                    let signer = signers.signer_for(signed.grant.patient, signed.grant.nonce);
                    if signed.verify_by(domain, signer).is_err() {
                        problems.push(
                            "the grant's signature does not recover to its patient's signer for this contract".into(),
                        );
                    }
                    match &artefact {
                        Err(e) => problems.push(e.clone()),
                        Ok(a) => {
                            if signed.grant.consentId != B256::from(chain_consent_id(&a.id)) {
                                problems.push("the grant's consent id is not this artefact's".into());
                            }
                            match a.scope() {
                                Ok(scope) if signed.grant.scopeHash == B256::from(scope.hash()) => {}
                                Ok(_) => problems.push("the grant's scope hash is not the artefact's scope".into()),
                                Err(e) => problems.push(e),
                            }
                            if i64::try_from(signed.grant.validUntil).ok() != Some(a.data_erase_at.timestamp()) {
                                problems.push("the grant's validUntil is not the artefact's data_erase_at".into());
                            }
                        }
                    }
                    granted = Some(signed);
                }
            }
        }
        if let Some(r) = &self.revocation {
            match r.to_signed() {
                Err(e) => problems.push(format!("revocation: {e}")),
                Ok(signed) => {
                    let signer = signers.signer_for(signed.revoke.patient, signed.revoke.nonce);
                    if signed.verify_by(domain, signer).is_err() {
                        problems.push(
                            "the revocation's signature does not recover to its patient's signer for this contract"
                                .into(),
                        );
                    }
                    if let Some(g) = &granted
                        && (g.grant.consentId != signed.revoke.consentId || g.grant.patient != signed.revoke.patient)
                    {
                        problems.push("the revocation does not name the grant's consent and patient".into());
                    }
                }
            }
        }
        problems
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chain::eip712::{ConsentSigner, domain};
    use alloy::primitives::address;
    use serde_json::json;

    fn artefact(id: Uuid, status: &str) -> serde_json::Value {
        json!({
            "id": id, "status": status, "purpose": "CAREMGT", "hi_types": ["DiagnosticReport"],
            "access_mode": "VIEW", "date_range": {"from": "2025-01-01", "to": "2025-12-31"},
            "data_erase_at": "2027-01-01T00:00:00Z", "frequency": {"unit": "DAY", "value": 1, "repeats": 0},
        })
    }

    fn signed_consent(signer: &ConsentSigner, d: &Eip712Domain) -> ExportedConsent {
        let id = Uuid::now_v7();
        let a = artefact(id, "REVOKED");
        let scope: ArtefactScope = serde_json::from_value(a.clone()).unwrap();
        let grant = Grant {
            consentId: B256::from(chain_consent_id(&id)),
            patient: signer.address(),
            grantee: Address::repeat_byte(0x42),
            scopeHash: B256::from(scope.scope().unwrap().hash()),
            validFrom: 1,
            validUntil: scope.data_erase_at.timestamp() as u64,
            nonce: 0,
            deadline: 4_000_000_000,
        };
        let g = signer.sign_grant(grant, d).unwrap();
        let revoke =
            Revoke { consentId: g.grant.consentId, patient: signer.address(), nonce: 0, deadline: 4_000_000_000 };
        let r = signer.sign_revoke(revoke, d).unwrap();
        ExportedConsent {
            artefact: a,
            grant: Some(ExportedGrant {
                consent_id: hex0x(g.grant.consentId.as_slice()),
                patient: g.grant.patient.to_checksum(None),
                grantee: g.grant.grantee.to_checksum(None),
                scope_hash: hex0x(g.grant.scopeHash.as_slice()),
                valid_from: g.grant.validFrom,
                valid_until: g.grant.validUntil,
                nonce: g.grant.nonce,
                deadline: g.grant.deadline,
                signature: hex0x(g.signature),
            }),
            revocation: Some(ExportedRevocation {
                consent_id: hex0x(r.revoke.consentId.as_slice()),
                patient: r.revoke.patient.to_checksum(None),
                nonce: r.revoke.nonce,
                deadline: r.revoke.deadline,
                signature: hex0x(r.signature),
                revoked_at: None,
            }),
        }
    }

    /// `signer`'s rotation of `account` to `new` at `nonce`.
    fn rotation(
        signer: &ConsentSigner,
        account: Address,
        new: Address,
        nonce: u64,
        d: &Eip712Domain,
    ) -> ExportedRotation {
        let r = RotateSigner { account, newSigner: new, nonce, deadline: 4_000_000_000 };
        let signed = signer.sign_rotation(r, d).unwrap();
        ExportedRotation {
            account: account.to_checksum(None),
            new_signer: new.to_checksum(None),
            nonce,
            deadline: 4_000_000_000,
            signature: hex0x(signed.signature),
        }
    }

    #[test]
    fn a_revocation_by_the_key_a_rotation_handed_the_account_to_checks_with_the_rotations() {
        let (a, b) = (ConsentSigner::random(), ConsentSigner::random());
        let d = domain(31337, address!("0x5FbDB2315678afecb367f032d93F642f64180aa3"));
        let mut c = signed_consent(&a, &d);
        // Revoked by B at nonce 1, after A handed the account to B at nonce 0.
        let revoke =
            Revoke { consentId: B256::repeat_byte(0), patient: a.address(), nonce: 1, deadline: 4_000_000_000 };
        let consent_id: B256 = c.grant.as_ref().unwrap().consent_id.parse().unwrap();
        let by_b = b.sign_revoke(Revoke { consentId: consent_id, ..revoke }, &d).unwrap();
        let r = c.revocation.as_mut().unwrap();
        (r.nonce, r.signature) = (1, hex0x(by_b.signature));
        let rotations = [rotation(&a, a.address(), b.address(), 0, &d)];
        let (history, problems) = SignerHistory::check(&rotations, &d);
        assert_eq!(problems, Vec::<String>::new());
        assert_eq!(c.check_signatures_by(&d, &history), Vec::<String>::new());
        assert_eq!(c.check_signatures(&d).len(), 1, "without the rotations, B is not the patient");

        // A rotation the account's signer did not sign counts for nothing.
        let forged = [rotation(&b, a.address(), b.address(), 0, &d)];
        let (history, problems) = SignerHistory::check(&forged, &d);
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert_eq!(c.check_signatures_by(&d, &history).len(), 1);
        // Nor does B sign for the nonces before the rotation: A's grant at nonce 0 still checks.
        let (history, _) = SignerHistory::check(&rotations, &d);
        assert_eq!(history.signer_for(a.address(), 0), a.address());
        assert_eq!(history.signer_for(a.address(), 1), b.address());
        assert_eq!(history.signer_for(b.address(), 1), b.address(), "another account is its own signer");
    }

    #[test]
    fn signed_consents_check_and_any_change_is_named() {
        let signer = ConsentSigner::random();
        let d = domain(31337, address!("0x5FbDB2315678afecb367f032d93F642f64180aa3"));
        let c = signed_consent(&signer, &d);
        assert_eq!(c.check_signatures(&d), Vec::<String>::new());
        let other = domain(31337, Address::repeat_byte(9));
        assert_eq!(c.check_signatures(&other).len(), 2, "another contract's domain");

        let mut t = c.clone();
        t.artefact["hi_types"] = json!(["DiagnosticReport", "Prescription"]);
        assert!(t.check_signatures(&d).iter().any(|p| p.contains("scope hash")));
        let mut t = c.clone();
        t.grant.as_mut().unwrap().valid_until += 1;
        let problems = t.check_signatures(&d);
        assert!(problems.iter().any(|p| p.contains("does not recover")), "{problems:?}");
        assert!(problems.iter().any(|p| p.contains("data_erase_at")), "{problems:?}");
        let mut t = c.clone();
        t.artefact["id"] = json!(Uuid::now_v7());
        assert!(t.check_signatures(&d).iter().any(|p| p.contains("consent id")));
        let mut t = c.clone();
        t.revocation = None;
        assert!(t.check_signatures(&d).iter().any(|p| p.contains("revocation is missing")));
        let mut t = c;
        t.grant.as_mut().unwrap().signature = "0x12".into();
        assert!(t.check_signatures(&d).iter().any(|p| p.contains("128 hex digits")));
    }
}
