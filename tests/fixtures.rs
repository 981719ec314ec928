//! The accounts and consents most tests start from, built through the typed client:
//! `TestApp::patient_with_keys`, `Platform::hospital_with_keys` (in `platform`) and
//! `Platform::granted_consent`.

#![allow(clippy::unwrap_used, reason = "fixtures: any failure is a test failure")]

use alloy::primitives::Address;
use pramana_client::Client;
use pramana_core::HiType;
use pramana_core::chain::eip712::ConsentSigner;
use pramana_core::envelope::Identity;
use pramana_wire::ConsentView;

use crate::app::{Patient, TestApp, register_x25519};
use crate::consent::{self, register_eth};
use crate::platform::Platform;

/// A registered, logged-in patient with an X25519 key and an Ethereum signing key registered.
#[derive(Debug)]
pub struct PatientWithKeys {
    /// The account and its tokens.
    pub patient: Patient,
    /// The API as this patient.
    pub api: Client,
    /// The registered X25519 identity (opens documents sealed to the patient).
    pub x25519: Identity,
    /// The registered Ethereum key (signs grants and revocations).
    pub signer: ConsentSigner,
}

impl TestApp {
    /// A new patient with both keys registered.
    pub async fn patient_with_keys(&self) -> PatientWithKeys {
        let patient = self.new_patient().await;
        let x25519 = register_x25519(self, &patient.access).await;
        let signer = ConsentSigner::random();
        register_eth(self, &patient.access, signer.address()).await;
        let api = self.client_as(&patient.access);
        PatientWithKeys { patient, api, x25519, signer }
    }
}

/// A consent a hospital requested and its patient granted (DiagnosticReport only, the scope of
/// `consent::request_body`), signed for the platform's contract.
#[derive(Debug)]
pub struct GrantedConsent {
    /// The artefact as the grant answered it.
    pub consent: ConsentView,
    /// The patient who granted it.
    pub patient: PatientWithKeys,
    /// The API as the hospital (`hospital_with_keys`).
    pub hospital: Client,
    /// The hospital's Ethereum address, the grant's grantee.
    pub hospital_address: Address,
}

impl Platform {
    /// A hospital with keys, a patient with keys, the hospital's request and the patient's
    /// signed grant of its DiagnosticReport records.
    pub async fn granted_consent(&self) -> GrantedConsent {
        let (token, hospital_address) = self.hospital_with_keys().await;
        let hospital = self.app.client_as(&token);
        let patient = self.app.patient_with_keys().await;
        let requested =
            hospital.consent_request(&consent::request_body(&patient.patient.abha.hyphenated())).await.unwrap();
        let now = u64::try_from(chrono::Utc::now().timestamp()).unwrap();
        let body = consent::grant_body(&patient.signer, &requested, hospital_address, &[HiType::DiagnosticReport], now);
        let consent = patient.api.consent_grant(requested.id, &body).await.unwrap();
        assert_eq!(consent.status, "GRANTED", "the fixture's grant");
        GrantedConsent { consent, patient, hospital, hospital_address }
    }
}
