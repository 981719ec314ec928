//! Consent helpers shared by the end-to-end and CLI tests: a hospital's request, and a
//! patient's signed grant and revocation for the contract the tests deploy.

#![allow(clippy::unwrap_used, reason = "test helpers: any failure is a test failure")]

use alloy::primitives::{Address, B256};
use chrono::{Duration, NaiveDate, Utc};
use pramana_core::chain::eip712::{ConsentSigner, Grant, Revoke, domain};
use pramana_core::consent::{ConsentScope, chain_consent_id};
use pramana_core::{AccessMode, HiType, Purpose};
use pramana_wire::{ConsentGrantBody, ConsentRequestCreate, ConsentRevokeBody, ConsentView, DateRange, Frequency};
use serde_json::{Value, json};

use crate::TestApp;

/// A request body for `abha`: CAREMGT, DiagnosticReport and Prescription, care dates 2025-01-01
/// to 2026-01-31, for 90 days.
pub fn request_body(abha: &str) -> ConsentRequestCreate {
    let now = Utc::now();
    ConsentRequestCreate {
        patient_abha_number: abha.to_owned(),
        purpose: "CAREMGT".to_owned(),
        hi_types: vec!["DiagnosticReport".to_owned(), "Prescription".to_owned()],
        access_mode: "VIEW".to_owned(),
        date_range: DateRange {
            from: NaiveDate::from_ymd_opt(2025, 1, 1).unwrap(),
            to: NaiveDate::from_ymd_opt(2026, 1, 31).unwrap(),
        },
        data_erase_at: now + Duration::days(90),
        frequency: Frequency { unit: "DAY".to_owned(), value: 1, repeats: 0 },
        expires_at: now + Duration::days(2),
    }
}

/// [`request_body`] as JSON.
pub fn request(abha: &str) -> Value {
    let now = Utc::now();
    json!({
        "patient_abha_number": abha,
        "purpose": "CAREMGT",
        "hi_types": ["DiagnosticReport", "Prescription"],
        "access_mode": "VIEW",
        "date_range": {"from": "2025-01-01", "to": "2026-01-31"},
        "data_erase_at": (now + Duration::days(90)).to_rfc3339(),
        "frequency": {"unit": "DAY", "value": 1, "repeats": 0},
        "expires_at": (now + Duration::days(2)).to_rfc3339(),
    })
}

/// The contract's address in a fresh Anvil chain (the deployer's first transaction).
pub const CONTRACT: &str = "0x5FbDB2315678afecb367f032d93F642f64180aa3";

/// Registers `address` as the caller's Ethereum key.
pub async fn register_eth(app: &TestApp, token: &str, address: Address) {
    let r = app.post_key(token, "ethereum", &address.to_string().to_lowercase()).await;
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
}

/// The scope [`request`] asks for, narrowed to `hi_types`: what [`sign_grant`] signs.
pub fn granted_scope(hi_types: &[HiType]) -> ConsentScope {
    ConsentScope {
        purpose: Purpose::CareManagement,
        hi_types: hi_types.to_vec(),
        access_mode: AccessMode::View,
        date_from: NaiveDate::from_ymd_opt(2025, 1, 1).unwrap(),
        date_to: NaiveDate::from_ymd_opt(2026, 1, 31).unwrap(),
        frequency_unit: "DAY".to_owned(),
        frequency_value: 1,
        frequency_repeats: 0,
    }
}

/// The body of `POST /v1/consents/{id}/grant` (without headers): `signer`'s EIP-712 grant of
/// consent `c` to `grantee`, narrowed to `hi_types`, valid from a minute before `now`, nonce 0.
pub fn grant_body(
    signer: &ConsentSigner,
    c: &ConsentView,
    grantee: Address,
    hi_types: &[HiType],
    now: u64,
) -> ConsentGrantBody {
    let scope = granted_scope(hi_types);
    let grant = Grant {
        consentId: B256::from(chain_consent_id(&c.id)),
        patient: signer.address(),
        grantee,
        scopeHash: B256::from(scope.hash()),
        validFrom: now - 60,
        validUntil: c.data_erase_at.timestamp() as u64,
        nonce: 0,
        deadline: now + 3_600,
    };
    let signed = signer.sign_grant(grant, &domain(31337, CONTRACT.parse().unwrap())).unwrap();
    ConsentGrantBody {
        hi_types: Some(hi_types.iter().map(|t| t.code().to_owned()).collect()),
        date_range: None,
        data_erase_at: None,
        valid_from: now - 60,
        nonce: 0,
        deadline: now + 3_600,
        signature: pramana_core::hex0x(signed.signature),
        headers: Vec::new(),
    }
}

/// [`grant_body`] as JSON, for a consent `c` as JSON.
pub fn sign_grant(signer: &ConsentSigner, c: &Value, grantee: Address, hi_types: &[HiType], now: u64) -> Value {
    let c: ConsentView = serde_json::from_value(c.clone()).unwrap();
    serde_json::to_value(grant_body(signer, &c, grantee, hi_types, now)).unwrap()
}

/// The body of `POST /v1/consents/{id}/revoke`: `signer`'s revocation of `c`, nonce 0.
pub fn revoke_body(signer: &ConsentSigner, c: &ConsentView, now: u64) -> ConsentRevokeBody {
    let revoke = Revoke {
        consentId: B256::from(chain_consent_id(&c.id)),
        patient: signer.address(),
        nonce: 0,
        deadline: now + 3_600,
    };
    let signed = signer.sign_revoke(revoke, &domain(31337, CONTRACT.parse().unwrap())).unwrap();
    ConsentRevokeBody { nonce: 0, deadline: now + 3_600, signature: pramana_core::hex0x(signed.signature) }
}

/// [`revoke_body`] as JSON, for a consent `c` as JSON.
pub fn sign_revoke(signer: &ConsentSigner, c: &Value, now: u64) -> Value {
    let c: ConsentView = serde_json::from_value(c.clone()).unwrap();
    serde_json::to_value(revoke_body(signer, &c, now)).unwrap()
}
