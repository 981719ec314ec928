//! Consent requests: a hospital asks, the patient sees and denies; validation refuses bad
//! artefacts without writing anything; only the two parties see an artefact; the request's own
//! expiry, not the grant's, ends an unanswered request.

use chrono::{Duration, Utc};
use pramana_tests::{TestApp, assert_error, spawn_app};

pub(crate) use pramana_tests::consent::request;
use serde_json::{Value, json};

/// Registers a hospital with `hfr_id` and returns its access token and id.
pub(crate) async fn hospital(app: &TestApp, hfr_id: &str) -> (String, String) {
    app.new_hospital(hfr_id).await
}

#[tokio::test]
async fn a_hospital_requests_and_the_patient_denies() {
    let app = spawn_app().await;
    let patient = app.new_patient().await;
    let (hosp, hosp_id) = hospital(&app, "IN2710000001").await;

    let r = app.post("/v1/consents", Some(&hosp), &request(&patient.abha.hyphenated())).await;
    assert_eq!(r.status(), 201);
    let c: Value = r.json().await.unwrap();
    assert_eq!(c["status"], "REQUESTED");
    assert_eq!(c["patient_id"], patient.id);
    assert_eq!(c["hospital_id"], hosp_id);
    assert_eq!(c["hi_types"], json!(["Prescription", "DiagnosticReport"]), "stored in vocabulary order");
    let id = c["id"].as_str().unwrap().to_owned();

    // One open artefact per hospital and patient.
    let r = app.post("/v1/consents", Some(&hosp), &request(patient.abha.as_digits())).await;
    assert_error(r, 409, "consent_exists").await;

    // Both parties see it; the patient lists it.
    let list: Value = app.get("/v1/consents", Some(&patient.access)).await.json().await.unwrap();
    assert_eq!(list[0]["id"], id);
    let list: Value = app.get("/v1/consents", Some(&hosp)).await.json().await.unwrap();
    assert_eq!(list[0]["id"], id);

    // Only the patient decides.
    let r = app.post(&format!("/v1/consents/{id}/deny"), Some(&hosp), &json!({})).await;
    assert_error(r, 403, "forbidden").await;
    let r = app.post(&format!("/v1/consents/{id}/deny"), Some(&patient.access), &json!({})).await;
    assert_eq!(r.status(), 200);
    let c: Value = r.json().await.unwrap();
    assert_eq!(c["status"], "DENIED");
    assert!(c["decided_at"].is_string());
    let r = app.post(&format!("/v1/consents/{id}/deny"), Some(&patient.access), &json!({})).await;
    assert_error(r, 409, "invalid_transition").await;

    // Denied is closed: the hospital may ask again.
    let r = app.post("/v1/consents", Some(&hosp), &request(patient.abha.as_digits())).await;
    assert_eq!(r.status(), 201);
    let actions: Vec<String> = sqlx::query_scalar(
        "SELECT action FROM audit_log WHERE action LIKE 'consent.%' AND outcome = 'ok' ORDER BY seq",
    )
    .fetch_all(&app.pool)
    .await
    .unwrap();
    assert_eq!(actions, ["consent.request", "consent.deny", "consent.request"]);
}

#[tokio::test]
async fn strangers_get_404_and_bad_requests_change_nothing() {
    let app = spawn_app().await;
    let patient = app.new_patient().await;
    let (hosp, _) = hospital(&app, "IN2710000001").await;
    let (other_hosp, _) = hospital(&app, "IN2710000002").await;
    let stranger = app.new_patient().await;
    let c: Value =
        app.post("/v1/consents", Some(&hosp), &request(patient.abha.as_digits())).await.json().await.unwrap();
    let id = c["id"].as_str().unwrap();

    for token in [&other_hosp, &stranger.access] {
        assert_error(app.get(&format!("/v1/consents/{id}"), Some(token)).await, 404, "not_found").await;
        let list: Value = app.get("/v1/consents", Some(token)).await.json().await.unwrap();
        assert_eq!(list, json!([]), "nothing of another party's");
    }
    let r = app.post(&format!("/v1/consents/{id}/deny"), Some(&stranger.access), &json!({})).await;
    assert_error(r, 404, "not_found").await;
    let r = app.post("/v1/consents", Some(&patient.access), &request(patient.abha.as_digits())).await;
    assert_error(r, 403, "forbidden").await;
    let admin = app.admin_token().await;
    assert_error(app.get("/v1/consents", Some(&admin)).await, 403, "forbidden").await;

    let before = app.table_counts().await;
    let abha = stranger.abha.as_digits().to_owned();
    let now = Utc::now();
    let cases: Vec<(&str, Value)> = vec![
        ("patient_abha_number", json!({"patient_abha_number": "91-2345-6789-0128"})),
        ("patient_abha_number", json!({"patient_abha_number": "91-0000-0000-0000"})),
        ("purpose", json!({"purpose": "MARKETING"})),
        ("hi_types", json!({"hi_types": []})),
        ("hi_types", json!({"hi_types": ["Prescription", "Prescription"]})),
        ("hi_types", json!({"hi_types": ["XRay"]})),
        ("access_mode", json!({"access_mode": "DELETE"})),
        ("date_range", json!({"date_range": {"from": "2026-02-01", "to": "2026-01-01"}})),
        ("data_erase_at", json!({"data_erase_at": (now - Duration::hours(1)).to_rfc3339()})),
        ("expires_at", json!({"expires_at": (now - Duration::hours(1)).to_rfc3339()})),
        ("expires_at", json!({"expires_at": (now + Duration::days(31)).to_rfc3339()})),
        ("frequency", json!({"frequency": {"unit": "FORTNIGHT", "value": 1, "repeats": 0}})),
        ("frequency", json!({"frequency": {"unit": "DAY", "value": 0, "repeats": 0}})),
    ];
    for (field, patch) in cases {
        let mut body = request(&abha);
        for (k, v) in patch.as_object().unwrap() {
            body[k] = v.clone();
        }
        let r = app.post("/v1/consents", Some(&hosp), &body).await;
        let err = assert_error(r, 422, &format!("invalid_{field}")).await;
        assert_eq!(err["field"], field, "{err}");
    }
    let mut unknown = request(&abha);
    unknown["surprise"] = json!(1);
    assert_error(app.post("/v1/consents", Some(&hosp), &unknown).await, 422, "invalid_body").await;
    assert_eq!(app.table_counts().await, before, "refused requests wrote nothing");
}

#[tokio::test]
async fn an_unanswered_request_expires_and_makes_room() {
    let app = spawn_app().await;
    let patient = app.new_patient().await;
    let (hosp, _) = hospital(&app, "IN2710000001").await;
    let c: Value =
        app.post("/v1/consents", Some(&hosp), &request(patient.abha.as_digits())).await.json().await.unwrap();
    let id = c["id"].as_str().unwrap();
    // The request's own expiry passes (moved into the past behind the API's back).
    sqlx::query("UPDATE consents SET request_expires_at = now() - interval '1 second'")
        .execute(&app.pool)
        .await
        .unwrap();
    let c: Value = app.get(&format!("/v1/consents/{id}"), Some(&patient.access)).await.json().await.unwrap();
    assert_eq!(c["status"], "EXPIRED");
    let r = app.post(&format!("/v1/consents/{id}/deny"), Some(&patient.access), &json!({})).await;
    assert_error(r, 409, "invalid_transition").await;
    // The next request closes the expired one and takes its place.
    let r = app.post("/v1/consents", Some(&hosp), &request(patient.abha.as_digits())).await;
    assert_eq!(r.status(), 201);
    let stored: Vec<String> =
        sqlx::query_scalar("SELECT status FROM consents ORDER BY created_at").fetch_all(&app.pool).await.unwrap();
    assert_eq!(stored, ["EXPIRED", "REQUESTED"]);
}

pub(crate) mod grants {
    use alloy::primitives::Address;
    use chrono::Utc;
    use pramana_core::HiType;
    use pramana_core::chain::eip712::ConsentSigner;
    use pramana_tests::{TestApp, assert_error, register_x25519, seal_document, spawn_app_with, upload_query};
    use serde_json::{Value, json};

    pub(crate) use pramana_tests::consent::{CONTRACT, register_eth, sign_grant, sign_revoke};

    use super::{hospital, request};

    /// What the patient's device sends with a grant: each document's header with a stanza added
    /// for the hospital.
    pub(crate) async fn headers_for(
        app: &TestApp,
        token: &str,
        key: &pramana_core::envelope::Identity,
        to: &pramana_core::envelope::Recipient,
        docs: &[uuid::Uuid],
    ) -> Value {
        use base64::Engine as _;
        let b64 = base64::engine::general_purpose::STANDARD;
        let mut out = Vec::new();
        for doc in docs {
            let meta: Value = app.get(&format!("/v1/documents/{doc}"), Some(token)).await.json().await.unwrap();
            let old = b64.decode(meta["header"].as_str().unwrap()).unwrap();
            let (header, _) = pramana_core::envelope::Header::parse(&old).unwrap();
            let new =
                pramana_core::envelope::add_recipient(&header, key, to, &mut pramana_core::envelope::os_rng()).unwrap();
            out.push(json!({"document_id": doc, "header": b64.encode(new.to_bytes())}));
        }
        Value::from(out)
    }

    #[tokio::test]
    async fn a_signed_grant_opens_exactly_its_scope_and_a_revocation_closes_it_at_once() {
        let app = spawn_app_with(json!({"chain": {"contract_address": CONTRACT}})).await;
        let patient = app.new_patient().await;
        let key = register_x25519(&app, &patient.access).await;
        let signer = ConsentSigner::random();
        register_eth(&app, &patient.access, signer.address()).await;
        let (hosp, hosp_id) = hospital(&app, "IN2710000001").await;
        let (other, _) = hospital(&app, "IN2710000002").await;
        let hosp_addr = Address::repeat_byte(0x42);
        register_eth(&app, &hosp, hosp_addr).await;
        let hosp_key = register_x25519(&app, &hosp).await;

        // In scope: a 2025 diagnostic report. Out: a prescription (narrowed away), a 2024 report.
        let mut docs = Vec::new();
        for (hi, date) in
            [("DiagnosticReport", "2025-06-01"), ("Prescription", "2025-06-01"), ("DiagnosticReport", "2024-01-01")]
        {
            let doc = uuid::Uuid::new_v4();
            let (env, info) = seal_document(doc, &[key.recipient()], b"record");
            let q = upload_query(&info, hi, date);
            let r = app.http.put(app.url(&format!("/v1/documents/{doc}?{q}"))).bearer_auth(&patient.access).body(env);
            assert_eq!(r.send().await.unwrap().status(), 201);
            docs.push(doc);
        }
        let c: Value =
            app.post("/v1/consents", Some(&hosp), &request(patient.abha.as_digits())).await.json().await.unwrap();
        let id = c["id"].as_str().unwrap().to_owned();
        let sees = |token: String, doc: uuid::Uuid| {
            let app = &app;
            async move { app.get(&format!("/v1/documents/{doc}"), Some(&token)).await.status().as_u16() }
        };
        assert_eq!(sees(hosp.clone(), docs[0]).await, 404, "nothing before the grant");

        // The patient's device learns the hospital's keys from the platform.
        let keys: Value =
            app.get(&format!("/v1/consents/{id}/grantee-keys"), Some(&patient.access)).await.json().await.unwrap();
        assert_eq!(keys["x25519_public_key"], hex::encode(hosp_key.recipient().0));
        assert_eq!(keys["ethereum_address"], hosp_addr.to_checksum(None));
        assert_eq!(keys["chain_consent_id"], c["chain_consent_id"]);
        assert_error(app.get(&format!("/v1/consents/{id}/grantee-keys"), Some(&other)).await, 404, "not_found").await;

        let now = Utc::now().timestamp() as u64;
        let grant_url = format!("/v1/consents/{id}/grant");
        // The patient's device prepares the headers (reading metadata is audited, so before the count).
        let hdr_wrong_doc = headers_for(&app, &patient.access, &key, &hosp_key.recipient(), &docs[1..2]).await;
        let other_key = pramana_core::envelope::Identity::generate(&mut pramana_core::envelope::os_rng());
        let hdr_other_key = headers_for(&app, &patient.access, &key, &other_key.recipient(), &docs[..1]).await;
        let hdr_ok = headers_for(&app, &patient.access, &key, &hosp_key.recipient(), &docs[..1]).await;
        // Signed by someone else, for a wider scope, or with the wrong headers: refused, nothing changes.
        let before = app.table_counts().await;
        let forged = sign_grant(&ConsentSigner::random(), &c, hosp_addr, &[HiType::DiagnosticReport], now);
        assert_error(app.post(&grant_url, Some(&patient.access), &forged).await, 422, "invalid_signature").await;
        let wider = sign_grant(&signer, &c, hosp_addr, &[HiType::WellnessRecord], now);
        assert_error(app.post(&grant_url, Some(&patient.access), &wider).await, 422, "invalid_hi_types").await;
        let wrong_grantee = sign_grant(&signer, &c, Address::repeat_byte(7), &[HiType::DiagnosticReport], now);
        assert_error(app.post(&grant_url, Some(&patient.access), &wrong_grantee).await, 422, "invalid_signature").await;
        // (Without headers the grant alone would be recorded, the stanzas to follow page by page:
        // tests/e2e/stanzas.rs. With headers, they must be exactly the in-scope documents'.)
        let mut good = sign_grant(&signer, &c, hosp_addr, &[HiType::DiagnosticReport], now);
        good["headers"] = hdr_wrong_doc;
        assert_error(app.post(&grant_url, Some(&patient.access), &good).await, 422, "invalid_headers").await;
        good["headers"] = hdr_other_key;
        assert_error(app.post(&grant_url, Some(&patient.access), &good).await, 422, "invalid_headers").await;
        good["headers"] = hdr_ok;
        assert_error(app.post(&grant_url, Some(&hosp), &good).await, 403, "forbidden").await;
        assert_eq!(app.table_counts().await, before, "refused grants wrote nothing");

        let r = app.post(&grant_url, Some(&patient.access), &good).await;
        assert_eq!(r.status(), 200);
        let granted: Value = r.json().await.unwrap();
        assert_eq!(granted["status"], "GRANTED");
        assert_eq!(granted["hi_types"], json!(["DiagnosticReport"]), "narrowed");

        // As a FHIR R4 Consent, for either party; nobody else.
        let fhir_url = format!("/v1/consents/{id}/fhir");
        let r = app.get(&fhir_url, Some(&hosp)).await;
        assert_eq!(r.status(), 200);
        assert_eq!(r.headers()["content-type"], "application/fhir+json");
        let fhir: Value = r.json().await.unwrap();
        assert_eq!(fhir["resourceType"], "Consent");
        assert_eq!(fhir["status"], "active");
        assert_eq!(fhir["patient"]["reference"], format!("Patient/{}", patient.id));
        assert_eq!(fhir["provision"]["actor"][0]["reference"]["reference"], format!("Organization/{hosp_id}"));
        assert_eq!(
            fhir["provision"]["class"],
            json!([{"system": "http://snomed.info/sct", "code": "721981007", "display": "Diagnostic studies report"}])
        );
        assert_eq!(fhir["provision"]["dataPeriod"], json!({"start": "2025-01-01", "end": "2026-01-31"}));
        assert_eq!(fhir["provision"]["purpose"][0]["code"], "CAREMGT");
        assert_eq!(fhir["extension"][0]["valueString"], granted["chain_consent_id"]);
        assert_error(app.get(&fhir_url, Some(&other)).await, 404, "not_found").await;
        assert_error(app.post(&grant_url, Some(&patient.access), &good).await, 409, "invalid_transition").await;

        // Exactly the scope: the 2025 report, not the prescription, not the 2024 report.
        assert_eq!(sees(hosp.clone(), docs[0]).await, 200);
        assert_eq!(sees(hosp.clone(), docs[1]).await, 404);
        assert_eq!(sees(hosp.clone(), docs[2]).await, 404);
        // The hospital opens it with its own key: the stanza the patient's device added.
        let r = app.get(&format!("/v1/documents/{}/content", docs[0]), Some(&hosp)).await;
        assert_eq!(r.status(), 200);
        let envelope = r.bytes().await.unwrap();
        let mut plain = Vec::new();
        pramana_core::envelope::open(docs[0].as_bytes(), &hosp_key, &envelope[..], &mut plain).unwrap();
        assert_eq!(plain, b"record");
        let list: Value = app.get("/v1/documents", Some(&hosp)).await.json().await.unwrap();
        assert_eq!(list.as_array().unwrap().len(), 1);
        assert_eq!(list[0]["id"], docs[0].to_string());
        assert_eq!(sees(other.clone(), docs[0]).await, 404, "another hospital sees nothing");

        // Revocation: only the patient's signature; effective at once.
        let revoke_url = format!("/v1/consents/{id}/revoke");
        let forged = sign_revoke(&ConsentSigner::random(), &c, now);
        assert_error(app.post(&revoke_url, Some(&patient.access), &forged).await, 422, "invalid_signature").await;
        assert_eq!(sees(hosp.clone(), docs[0]).await, 200, "a forged revocation changes nothing");
        let r = app.post(&revoke_url, Some(&patient.access), &sign_revoke(&signer, &c, now)).await;
        assert_eq!(r.status(), 200);
        assert_eq!(r.json::<Value>().await.unwrap()["status"], "REVOKED");
        let fhir: Value =
            app.get(&format!("/v1/consents/{id}/fhir"), Some(&patient.access)).await.json().await.unwrap();
        assert_eq!(fhir["status"], "inactive");
        assert_eq!(sees(hosp.clone(), docs[0]).await, 404, "revoked: denied at once");
        let list: Value = app.get("/v1/documents", Some(&hosp)).await.json().await.unwrap();
        assert_eq!(list, json!([]));
        let r = app.post(&revoke_url, Some(&patient.access), &sign_revoke(&signer, &c, now)).await;
        assert_error(r, 409, "invalid_transition").await;
    }

    #[tokio::test]
    async fn a_grant_ends_at_data_erase_at() {
        let app = spawn_app_with(json!({"chain": {"contract_address": CONTRACT}})).await;
        let patient = app.new_patient().await;
        let key = register_x25519(&app, &patient.access).await;
        let signer = ConsentSigner::random();
        register_eth(&app, &patient.access, signer.address()).await;
        let (hosp, _) = hospital(&app, "IN2710000001").await;
        register_eth(&app, &hosp, Address::repeat_byte(0x42)).await;
        let hosp_key = register_x25519(&app, &hosp).await;
        let doc = uuid::Uuid::new_v4();
        let (env, info) = seal_document(doc, &[key.recipient()], b"record");
        let q = upload_query(&info, "DiagnosticReport", "2025-06-01");
        let r = app.http.put(app.url(&format!("/v1/documents/{doc}?{q}"))).bearer_auth(&patient.access).body(env);
        assert_eq!(r.send().await.unwrap().status(), 201);
        let c: Value =
            app.post("/v1/consents", Some(&hosp), &request(patient.abha.as_digits())).await.json().await.unwrap();
        let now = Utc::now().timestamp() as u64;
        let mut body = sign_grant(&signer, &c, Address::repeat_byte(0x42), &[HiType::DiagnosticReport], now);
        body["headers"] = headers_for(&app, &patient.access, &key, &hosp_key.recipient(), &[doc]).await;
        let r =
            app.post(&format!("/v1/consents/{}/grant", c["id"].as_str().unwrap()), Some(&patient.access), &body).await;
        assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
        assert_eq!(app.get(&format!("/v1/documents/{doc}"), Some(&hosp)).await.status(), 200);
        // dataEraseAt passes (moved into the past behind the API's back): access ends that instant.
        sqlx::query("UPDATE consents SET data_erase_at = now() - interval '1 second'")
            .execute(&app.pool)
            .await
            .unwrap();
        assert_eq!(app.get(&format!("/v1/documents/{doc}"), Some(&hosp)).await.status(), 404);
        let c: Value = app
            .get(&format!("/v1/consents/{}", c["id"].as_str().unwrap()), Some(&patient.access))
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(c["status"], "EXPIRED");
    }
}
