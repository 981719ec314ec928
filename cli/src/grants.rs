//! Which grants are the patient's own. The platform lists a patient's consents, but a server
//! that lies (or whoever took it over) could list a grant the patient never signed, or widen a
//! real one's scope, so that new documents get sealed to a hospital of its choosing. Before a
//! client seals to a hospital it rebuilds the grant from the fields listed — the scope hash
//! recomputed from the scope shown, the consent id from the artefact's id, the end from
//! `data_erase_at` — and checks that one of the patient's own keys signed that exact message
//! (EIP-712, docs/contract.md). The keys are the keystore's, never the server's word.

use alloy::primitives::{Address, B256};
use alloy::sol_types::Eip712Domain;
use pramana_client::wire::ConsentView;
use pramana_core::chain::{Grant, SignedGrant};
use pramana_core::consent::{ConsentScope, chain_consent_id};
use pramana_core::{AccessMode, HiType, Purpose};

/// Checks that consent `c`, as listed, is a grant one of `mine` signed for `domain`, and
/// returns the hospital address it was signed for; else says what is wrong with it.
pub fn signed_by_me(c: &ConsentView, domain: &Eip712Domain, mine: &[Address]) -> Result<Address, String> {
    let (Some(patient), Some(grantee), Some(valid_from), Some(signed)) =
        (&c.patient_address, &c.grantee_address, c.valid_from, &c.grant_signature)
    else {
        return Err("it carries no signed grant".to_owned());
    };
    let address = |a: &str| a.parse::<Address>().map_err(|_| format!("the address {a} does not parse"));
    let mut hi_types = Vec::with_capacity(c.hi_types.len());
    for t in &c.hi_types {
        hi_types.push(HiType::parse(t).map_err(|_| format!("unknown HI type {t}"))?);
    }
    let scope = ConsentScope {
        purpose: Purpose::parse(&c.purpose).map_err(|_| format!("unknown purpose {}", c.purpose))?,
        hi_types,
        access_mode: AccessMode::parse(&c.access_mode).map_err(|_| format!("unknown access mode {}", c.access_mode))?,
        date_from: c.date_range.from,
        date_to: c.date_range.to,
        frequency_unit: c.frequency.unit.clone(),
        frequency_value: u32::try_from(c.frequency.value).map_err(|_| "a negative frequency".to_owned())?,
        frequency_repeats: u32::try_from(c.frequency.repeats).map_err(|_| "negative repeats".to_owned())?,
    };
    let mut signature = [0u8; 64];
    hex::decode_to_slice(signed.signature.trim_start_matches("0x"), &mut signature)
        .map_err(|_| "its signature is not 64 bytes of hex".to_owned())?;
    let seconds = |t: chrono::DateTime<chrono::Utc>| u64::try_from(t.timestamp()).unwrap_or_default();
    let grantee = address(grantee)?;
    let grant = SignedGrant {
        grant: Grant {
            consentId: B256::from(chain_consent_id(&c.id)),
            patient: address(patient)?,
            grantee,
            scopeHash: B256::from(scope.hash()),
            validFrom: seconds(valid_from),
            validUntil: seconds(c.data_erase_at),
            nonce: signed.nonce,
            deadline: signed.deadline,
        },
        signature,
    };
    if mine.iter().any(|m| grant.verify_by(domain, *m).is_ok()) {
        Ok(grantee)
    } else {
        Err("your keys did not sign this grant as it is listed".to_owned())
    }
}
