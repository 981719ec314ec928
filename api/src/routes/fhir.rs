//! FHIR R4 views of Pramana records. A document's metadata as a `DocumentReference` (ABDM's
//! NRCeS profile): the HI type as ABDM's SNOMED CT document type, the patient, the author, the
//! care date, the encrypted envelope as the content (the server has no plaintext to offer), the
//! plaintext's SHA-256 as an extension, and the proof bundle, once anchored, as a second content.
//! A consent artefact as a `Consent`: status, scope, category, patient, and a provision with
//! the grant's period, the hospital as recipient, purpose, HI types as classes and the care
//! dates as `dataPeriod`.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use pramana_core::{AccessMode, ConsentStatus, Role};
use serde_json::{Value, json};

use pramana_server::store::consents::ConsentRow;
use pramana_server::store::documents::DocumentRow;

/// Extension URL carrying the plaintext's SHA-256 (hex), which any holder of the document can
/// recompute with `sha256sum`.
pub const EXT_PLAINTEXT_SHA256: &str = "urn:pramana:fhir:StructureDefinition:plaintext-sha256";
/// Extension URL carrying the anchoring state: `pending`, `submitted` or `confirmed`.
pub const EXT_ANCHOR_STATE: &str = "urn:pramana:fhir:StructureDefinition:anchor-state";
/// Media type of the encrypted envelope (`docs/envelope.md`).
pub const ENVELOPE_MEDIA_TYPE: &str = "application/vnd.pramana.envelope";

/// The document as a FHIR R4 `DocumentReference`; `proof` is its bundle when anchored.
pub fn document_reference(d: &DocumentRow, envelope_size: i64, proof: Option<&Value>) -> Value {
    let mut coding = Vec::new();
    if let Some((code, display)) = d.hi_type.snomed() {
        coding.push(json!({"system": "http://snomed.info/sct", "code": code, "display": display}));
    }
    let author = match d.uploaded_by_role {
        Role::Hospital => json!({"reference": format!("Organization/{}", d.uploaded_by_id)}),
        _ => json!({"reference": format!("Patient/{}", d.uploaded_by_id)}),
    };
    let mut content = Vec::new();
    if d.deleted_at.is_none() {
        content.push(json!({"attachment": {
            "contentType": ENVELOPE_MEDIA_TYPE,
            "url": format!("/v1/documents/{}/content", d.id),
            "size": envelope_size,
            "title": "end-to-end encrypted envelope",
        }}));
    }
    if let Some(p) = proof {
        content.push(json!({"attachment": {
            "contentType": "application/json",
            "data": B64.encode(p.to_string()),
            "title": "pramana-proof v1 (docs/proof.md)",
        }}));
    }
    json!({
        "resourceType": "DocumentReference",
        "id": d.id,
        "meta": {"profile": ["https://nrces.in/ndhm/fhir/r4/StructureDefinition/DocumentReference"]},
        "extension": [
            {"url": EXT_PLAINTEXT_SHA256, "valueString": hex::encode(d.plaintext_sha256)},
            {"url": EXT_ANCHOR_STATE, "valueCode": d.anchor_state.as_deref().unwrap_or("pending")},
        ],
        // A crypto-shredded document's content is gone for good; its hashes and proof remain.
        "status": if d.deleted_at.is_none() { "current" } else { "superseded" },
        "docStatus": "final",
        "type": {"coding": coding, "text": d.hi_type.display()},
        "subject": {"reference": format!("Patient/{}", d.owner_patient_id)},
        "date": d.created_at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        "author": [author],
        "content": content,
        "context": {"period": {"start": d.care_date.to_string(), "end": d.care_date.to_string()}},
    })
}

/// Extension URL carrying the consent's id on chain (hex).
pub const EXT_CHAIN_CONSENT_ID: &str = "urn:pramana:fhir:StructureDefinition:chain-consent-id";
/// Code system of ABDM's purpose-of-use codes as Pramana labels them.
pub const ABDM_PURPOSE_SYSTEM: &str = "urn:pramana:abdm:purpose-of-use";

/// A consent artefact as a FHIR R4 `Consent`; `status` is the artefact's status now.
pub fn consent(c: &ConsentRow, status: ConsentStatus, chain_consent_id: &str) -> Value {
    let fhir_status = match status {
        ConsentStatus::Requested => "proposed",
        ConsentStatus::Granted => "active",
        ConsentStatus::Denied => "rejected",
        ConsentStatus::Expired | ConsentStatus::Revoked => "inactive",
    };
    let classes: Vec<Value> = c
        .hi_types
        .iter()
        .map(|&t| match t.snomed() {
            Some((code, display)) => json!({"system": "http://snomed.info/sct", "code": code, "display": display}),
            None => json!({"display": t.code()}),
        })
        .collect();
    let action = if c.access_mode == AccessMode::Store { "collect" } else { "access" };
    json!({
        "resourceType": "Consent",
        "id": c.id,
        "extension": [{"url": EXT_CHAIN_CONSENT_ID, "valueString": chain_consent_id}],
        "status": fhir_status,
        "scope": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/consentscope", "code": "patient-privacy"}]},
        "category": [{"coding": [{"system": "http://loinc.org", "code": "59284-0", "display": "Patient Consent"}]}],
        "patient": {"reference": format!("Patient/{}", c.patient_id)},
        "dateTime": c.created_at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        "performer": [{"reference": format!("Patient/{}", c.patient_id)}],
        "policyRule": {"text": format!("ABDM consent artefact; access mode {}", c.access_mode)},
        "provision": {
            "type": "permit",
            "period": {
                "start": c.decided_at.unwrap_or(c.created_at).to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
                "end": c.data_erase_at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            },
            "actor": [{
                "role": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v3-ParticipationType", "code": "IRCP", "display": "information recipient"}]},
                "reference": {"reference": format!("Organization/{}", c.hospital_id)},
            }],
            "action": [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/consentaction", "code": action}]}],
            "purpose": [{"system": ABDM_PURPOSE_SYSTEM, "code": c.purpose}],
            "class": classes,
            "dataPeriod": {"start": c.date_from.to_string(), "end": c.date_to.to_string()},
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use pramana_core::{HiType, Purpose};

    fn row(hi_type: HiType) -> DocumentRow {
        DocumentRow {
            id: uuid::Uuid::nil(),
            owner_patient_id: uuid::Uuid::from_u128(1),
            uploaded_by_role: Role::Hospital,
            uploaded_by_id: uuid::Uuid::from_u128(2),
            hi_type,
            care_date: chrono::NaiveDate::from_ymd_opt(2026, 1, 10).unwrap(),
            plaintext_size: 10,
            payload_size: 100,
            payload_sha256: [1; 32],
            storage_key: "k".to_owned(),
            plaintext_sha256: [0xab; 32],
            salt: [2; 32],
            leaf: [3; 32],
            header: Some(vec![4; 200]),
            created_at: chrono::DateTime::from_timestamp(1_790_000_000, 0).unwrap(),
            deleted_at: None,
            anchor_state: Some("confirmed".to_owned()),
        }
    }

    #[test]
    fn a_document_reference_carries_type_hash_and_proof() {
        let proof = json!({"format": "pramana-proof", "version": 1});
        let v = document_reference(&row(HiType::DischargeSummary), 300, Some(&proof));
        assert_eq!(v["resourceType"], "DocumentReference");
        assert_eq!(v["status"], "current");
        assert_eq!(v["type"]["coding"][0]["code"], "373942005");
        assert_eq!(v["subject"]["reference"], "Patient/00000000-0000-0000-0000-000000000001");
        assert_eq!(v["author"][0]["reference"], "Organization/00000000-0000-0000-0000-000000000002");
        assert_eq!(v["extension"][0]["valueString"], "ab".repeat(32));
        assert_eq!(v["context"]["period"]["start"], "2026-01-10");
        assert_eq!(v["content"][0]["attachment"]["contentType"], ENVELOPE_MEDIA_TYPE);
        let data = B64.decode(v["content"][1]["attachment"]["data"].as_str().unwrap()).unwrap();
        assert_eq!(serde_json::from_slice::<Value>(&data).unwrap(), proof);
    }

    #[test]
    fn every_hi_type_maps_and_wellness_is_text_only() {
        for hi in HiType::ALL {
            let v = document_reference(&row(*hi), 1, None);
            assert_eq!(v["type"]["text"], hi.display());
            assert_eq!(v["type"]["coding"].as_array().unwrap().is_empty(), *hi == HiType::WellnessRecord);
        }
        let mut deleted = row(HiType::Prescription);
        deleted.deleted_at = Some(deleted.created_at);
        let v = document_reference(&deleted, 0, None);
        assert_eq!(v["status"], "superseded");
        assert!(v["content"].as_array().unwrap().is_empty());
    }

    #[test]
    fn consent_statuses_map_to_fhir() {
        let now = chrono::Utc::now();
        let c = ConsentRow {
            id: uuid::Uuid::nil(),
            patient_id: uuid::Uuid::from_u128(1),
            hospital_id: uuid::Uuid::from_u128(2),
            purpose: Purpose::CareManagement,
            hi_types: vec![HiType::WellnessRecord],
            access_mode: AccessMode::Store,
            date_from: chrono::NaiveDate::from_ymd_opt(2025, 1, 1).unwrap(),
            date_to: chrono::NaiveDate::from_ymd_opt(2025, 12, 31).unwrap(),
            data_erase_at: now,
            frequency_unit: "DAY".into(),
            frequency_value: 1,
            frequency_repeats: 0,
            request_expires_at: now,
            status: ConsentStatus::Requested,
            created_at: now,
            decided_at: None,
            patient_address: None,
            grantee_address: None,
            valid_from: None,
            grant: None,
        };
        for (status, fhir) in [
            (ConsentStatus::Requested, "proposed"),
            (ConsentStatus::Granted, "active"),
            (ConsentStatus::Denied, "rejected"),
            (ConsentStatus::Expired, "inactive"),
            (ConsentStatus::Revoked, "inactive"),
        ] {
            assert_eq!(consent(&c, status, "0x00")["status"], fhir);
        }
        let v = consent(&c, ConsentStatus::Granted, "0x00");
        assert_eq!(v["provision"]["class"], json!([{"display": "WellnessRecord"}]), "no SNOMED code, as in ABDM");
        assert_eq!(v["provision"]["action"][0]["coding"][0]["code"], "collect");
    }
}
