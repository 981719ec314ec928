//! ABHA ownership is proven, not claimed. An ABHA number is printed on a card: registering one
//! proves nothing. These tests play the squatter who registers a victim's number, and the
//! hospital desk that verifies the real owner.

use chrono::Utc;
use futures::future::BoxFuture;
use pramana_api::abdm::{AbdmError, AbhaOtpVerifier};
use pramana_api::service::{Actor, ServiceError, abha as service};
use pramana_core::{AbhaNumber, Role};
use pramana_tests::{
    Patient, TestApp, assert_error, random_abha, register_x25519, seal_document, spawn_app, spawn_app_with,
};
use serde_json::{Value, json};
use uuid::Uuid;

/// Registers an account claiming `abha` with `password` and signs it in.
async fn claim(app: &TestApp, abha: &AbhaNumber, name: &str, password: &str) -> Patient {
    let body = json!({"abha_number": abha.hyphenated(), "name": name, "password": password});
    let r = app.post("/v1/auth/register", None, &body).await;
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
    let v: Value = r.json().await.unwrap();
    let (access, refresh) = app.login(abha.as_digits(), password).await;
    Patient { id: v["id"].as_str().unwrap().to_owned(), abha: *abha, access, refresh }
}

async fn code(app: &TestApp, p: &Patient) -> String {
    let r = app.post("/v1/patients/me/abha-verification-code", Some(&p.access), &json!({})).await;
    assert_eq!(r.status(), 201);
    let v: Value = r.json().await.unwrap();
    v["code"].as_str().unwrap().to_owned()
}

async fn verify(app: &TestApp, hospital: &str, abha: &AbhaNumber, code: &str) -> reqwest::Response {
    app.post("/v1/abha-verifications", Some(hospital), &json!({"abha_number": abha.hyphenated(), "code": code})).await
}

async fn me(app: &TestApp, p: &Patient) -> Value {
    app.get("/v1/patients/me", Some(&p.access)).await.json().await.unwrap()
}

async fn actions(app: &TestApp, p: &Patient) -> Vec<String> {
    let page: Value = app.get("/v1/audit?limit=500", Some(&p.access)).await.json().await.unwrap();
    page["events"].as_array().unwrap().iter().map(|e| e["action"].as_str().unwrap().to_owned()).collect()
}

#[tokio::test]
async fn a_squatter_neither_locks_the_owner_out_nor_receives_the_owners_requests() {
    let app = spawn_app().await;
    let (hospital, hospital_id) = app.new_hospital("IN2710000001").await;
    let number = random_abha();
    let unknown = random_abha();
    let consent = |abha: &AbhaNumber| pramana_tests::consent::request(abha.as_digits());

    // The squatter registers the victim's number first and stores a fabricated record.
    let squatter = claim(&app, &number, "Not Asha", "squatter password 1").await;
    let key = register_x25519(&app, &squatter.access).await;
    let doc = Uuid::new_v4();
    let (file, info) = seal_document(doc, &[key.recipient()], b"a fabricated discharge summary");
    let q = pramana_tests::upload_query(&info, "DischargeSummary", "2026-01-15");
    let r = app
        .http
        .put(app.url(&format!("/v1/documents/{doc}?{q}")))
        .bearer_auth(&squatter.access)
        .body(file)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);

    // A claimed number reaches no hospital: consent and link requests get exactly the answer a
    // number nobody registered gets.
    let unknown_answer = assert_error(
        app.post("/v1/consents", Some(&hospital), &consent(&unknown)).await,
        422,
        "invalid_patient_abha_number",
    )
    .await;
    let claimed_answer = assert_error(
        app.post("/v1/consents", Some(&hospital), &consent(&number)).await,
        422,
        "invalid_patient_abha_number",
    )
    .await;
    assert_eq!(claimed_answer["message"], unknown_answer["message"]);
    let link = |abha: &AbhaNumber| json!({"patient_abha_number": abha.as_digits()});
    let a =
        assert_error(app.post("/v1/links", Some(&hospital), &link(&number)).await, 422, "invalid_patient_abha_number")
            .await;
    let b =
        assert_error(app.post("/v1/links", Some(&hospital), &link(&unknown)).await, 422, "invalid_patient_abha_number")
            .await;
    assert_eq!(a["message"], b["message"]);

    // The real owner is not locked out: they register the same number too (no 409).
    let owner = claim(&app, &number, "Asha Rao", "owner password 123").await;
    assert_ne!(owner.id, squatter.id, "each password signs in to its own account");
    assert_eq!(me(&app, &owner).await["abha_status"], "claimed");

    // At the desk: the owner shows a code with the card; staff enter it.
    let shown = code(&app, &owner).await;
    let r = verify(&app, &hospital, &number, &shown).await;
    assert_eq!(r.status(), 200);
    let v: Value = r.json().await.unwrap();
    assert_eq!(
        (v["abha_number"].as_str(), v["patient_name"].as_str()),
        (Some(number.hyphenated().as_str()), Some("Asha Rao"))
    );

    let owner_view = me(&app, &owner).await;
    assert_eq!(owner_view["abha_status"], "verified");
    assert_eq!(owner_view["abha_verified_by"]["hfr_id"], "IN2710000001");
    let squatter_view = me(&app, &squatter).await;
    assert_eq!(squatter_view["abha_status"], "displaced", "the displaced account is told");
    assert!(squatter_view["abha_displaced_at"].is_string());

    // Requests now reach the owner only.
    let r = app.post("/v1/consents", Some(&hospital), &consent(&number)).await;
    assert_eq!(r.status(), 201);
    let c: Value = r.json().await.unwrap();
    assert_eq!(c["patient_id"], owner.id);
    let theirs: Vec<Value> = app.get("/v1/consents", Some(&squatter.access)).await.json().await.unwrap();
    assert!(theirs.is_empty());
    let r = app.post("/v1/links", Some(&hospital), &link(&number)).await;
    assert_eq!(r.status(), 201);

    // The displaced account keeps its own documents and its sign-in.
    let (again, _) = app.login(&number.hyphenated(), "squatter password 1").await;
    let docs: Vec<Value> = app.get("/v1/documents", Some(&again)).await.json().await.unwrap();
    assert_eq!(docs.len(), 1);
    assert_eq!(docs[0]["id"], doc.to_string());

    // Both access histories say what happened, and who verified.
    let owner_events: Value = app.get("/v1/audit?limit=500", Some(&owner.access)).await.json().await.unwrap();
    let verified =
        owner_events["events"].as_array().unwrap().iter().find(|e| e["action"] == "abha.verify").expect("abha.verify");
    assert_eq!(
        (verified["actor_role"].as_str(), verified["actor_id"].as_str()),
        (Some("hospital"), Some(hospital_id.as_str()))
    );
    assert!(actions(&app, &squatter).await.contains(&"abha.displaced".to_owned()));

    // A displaced account cannot start over, and a verified one needs no code.
    assert_error(
        app.post("/v1/patients/me/abha-verification-code", Some(&squatter.access), &json!({})).await,
        409,
        "abha_displaced",
    )
    .await;
    assert_error(
        app.post("/v1/patients/me/abha-verification-code", Some(&owner.access), &json!({})).await,
        409,
        "abha_already_verified",
    )
    .await;

    // A later claim of the verified number gets an account, but its code cannot take the number.
    let late = claim(&app, &number, "Late", "late password 1234").await;
    let late_code = code(&app, &late).await;
    assert_error(verify(&app, &hospital, &number, &late_code).await, 409, "abha_already_verified").await;
    assert_eq!(me(&app, &late).await["abha_status"], "claimed");
    assert_eq!(me(&app, &owner).await["abha_status"], "verified");
}

#[tokio::test]
async fn wrong_codes_change_nothing_and_a_few_end_the_live_codes() {
    let app = spawn_app().await;
    let (hospital, _) = app.new_hospital("IN2710000001").await;
    let p = app.new_claimed_patient().await;
    let other = app.new_claimed_patient().await;
    let shown = code(&app, &p).await;
    let other_code = code(&app, &other).await;
    let before = app.table_counts().await;

    // Wrong shapes name the field; they never count as attempts.
    assert_error(verify(&app, &hospital, &p.abha, "1234").await, 422, "invalid_code").await;
    assert_error(verify(&app, &hospital, &p.abha, "abcd-efgh").await, 422, "invalid_code").await;
    let r = app.post("/v1/abha-verifications", Some(&hospital), &json!({"abha_number": "12", "code": shown})).await;
    assert_error(r, 422, "invalid_abha_number").await;
    // Only hospitals verify; only patients get codes.
    assert_error(verify(&app, &p.access, &p.abha, &shown).await, 403, "forbidden").await;
    assert_error(
        app.post("/v1/patients/me/abha-verification-code", Some(&hospital), &json!({})).await,
        403,
        "forbidden",
    )
    .await;

    // Another account's code does not verify this number, and an unknown number answers the same.
    let a = assert_error(verify(&app, &hospital, &p.abha, &other_code).await, 422, "abha_code_invalid").await;
    let b = assert_error(verify(&app, &hospital, &random_abha(), &shown).await, 422, "abha_code_invalid").await;
    assert_eq!(a["message"], b["message"]);
    let counts = app.table_counts().await;
    let changed: Vec<_> = counts.iter().zip(&before).filter(|(x, y)| x != y).map(|(x, _)| x.0.as_str()).collect();
    assert!(changed.iter().all(|t| t.starts_with("audit")), "only the audit log grew: {changed:?}");
    assert_eq!(me(&app, &p).await["abha_status"], "claimed");

    // Guessing: after five wrong codes for the number, even the right one no longer works.
    for guess in ["0000-0001", "0000-0002", "0000-0003", "0000-0004"] {
        assert_error(verify(&app, &hospital, &p.abha, guess).await, 422, "abha_code_invalid").await;
    }
    assert_error(verify(&app, &hospital, &p.abha, &shown).await, 422, "abha_code_invalid").await;
    assert_eq!(me(&app, &p).await["abha_status"], "claimed");
    // A new code works.
    let fresh = code(&app, &p).await;
    assert_eq!(verify(&app, &hospital, &p.abha, &fresh).await.status(), 200);
    // The other account's code was for its own number all along.
    assert_eq!(verify(&app, &hospital, &other.abha, &other_code).await.status(), 200);
}

#[tokio::test]
async fn an_expired_code_is_refused() {
    let app = spawn_app().await;
    let (hospital, _) = app.new_hospital("IN2710000001").await;
    let p = app.new_claimed_patient().await;
    let shown = code(&app, &p).await;
    sqlx::query("UPDATE abha_verification_codes SET expires_at = now() - interval '1 second'")
        .execute(&app.pool)
        .await
        .unwrap();
    assert_error(verify(&app, &hospital, &p.abha, &shown).await, 422, "abha_code_invalid").await;
    assert_eq!(me(&app, &p).await["abha_status"], "claimed");
}

#[tokio::test]
async fn a_hospital_entering_codes_is_rate_limited() {
    let app = spawn_app_with(
        json!({"rate_limit": {"abha_verify_per_hospital_per_minute": 1, "abha_verify_per_hospital_burst": 2}}),
    )
    .await;
    let (hospital, _) = app.new_hospital("IN2710000001").await;
    let p = app.new_claimed_patient().await;
    for _ in 0..2 {
        assert_error(verify(&app, &hospital, &p.abha, "1111-2222").await, 422, "abha_code_invalid").await;
    }
    let r = verify(&app, &hospital, &p.abha, "1111-2222").await;
    assert!(r.headers().contains_key("retry-after"));
    assert_error(r, 429, "rate_limited").await;
}

#[tokio::test]
async fn registration_keeps_claims_of_one_number_bounded() {
    let app = spawn_app().await;
    let number = random_abha();
    for i in 0..service::MAX_LIVE_CLAIMS {
        claim(&app, &number, "Claimant", &format!("claimant password {i}")).await;
    }
    let before = app.table_counts().await;
    let body = json!({"abha_number": number.as_digits(), "name": "One more", "password": "one more password"});
    assert_error(app.post("/v1/auth/register", None, &body).await, 409, "already_registered").await;
    assert_eq!(app.table_counts().await, before);
    // Each claim signs in with its own password.
    for i in 0..service::MAX_LIVE_CLAIMS {
        app.login(number.as_digits(), &format!("claimant password {i}")).await;
    }
}

#[tokio::test]
async fn abdm_verification_is_off_by_default() {
    let app = spawn_app().await;
    let p = app.new_claimed_patient().await;
    let r = app.post("/v1/patients/me/abha-verification/abdm", Some(&p.access), &json!({})).await;
    assert_error(r, 404, "abdm_disabled").await;
    let r = app
        .post(
            "/v1/patients/me/abha-verification/abdm/confirm",
            Some(&p.access),
            &json!({"transaction_id": "t", "otp": "123456"}),
        )
        .await;
    assert_error(r, 404, "abdm_disabled").await;
}

/// A stand-in for ABDM (no ABDM sandbox is reachable here): vouches for `number` when the OTP
/// is `123456`.
#[derive(Debug)]
struct StandIn {
    number: AbhaNumber,
}

impl AbhaOtpVerifier for StandIn {
    fn request_otp<'a>(&'a self, _: &'a AbhaNumber) -> BoxFuture<'a, Result<String, AbdmError>> {
        Box::pin(async { Ok("txn-1".to_owned()) })
    }
    fn confirm_otp<'a>(&'a self, _: &'a str, otp: &'a str) -> BoxFuture<'a, Result<Vec<AbhaNumber>, AbdmError>> {
        Box::pin(async move { if otp == "123456" { Ok(vec![self.number]) } else { Err(AbdmError::Rejected) } })
    }
}

#[tokio::test]
async fn a_number_abdm_vouches_for_is_verified_and_displaces_other_claims() {
    let app = spawn_app().await;
    let number = random_abha();
    let squatter = claim(&app, &number, "Not Asha", "squatter password 1").await;
    let owner = claim(&app, &number, "Asha", "owner password 123").await;
    let actor =
        Actor { role: Role::Patient, id: owner.id.parse().unwrap(), staff: None, guardian: None, request_id: None };
    let abdm = StandIn { number };

    assert_eq!(service::abdm_request(&app.pool, &abdm, &actor).await.unwrap(), "txn-1");
    let wrong = service::abdm_confirm(&app.pool, &abdm, &actor, "txn-1", "000000").await;
    assert!(matches!(wrong, Err(ServiceError::Refused { code: "abdm_rejected", .. })), "{wrong:?}");
    let other = StandIn { number: random_abha() };
    let mismatch = service::abdm_confirm(&app.pool, &other, &actor, "txn-1", "123456").await;
    assert!(matches!(mismatch, Err(ServiceError::Refused { code: "abdm_number_mismatch", .. })), "{mismatch:?}");
    assert_eq!(me(&app, &owner).await["abha_status"], "claimed");

    let at = service::abdm_confirm(&app.pool, &abdm, &actor, "txn-1", "123456").await.unwrap();
    assert!(at <= Utc::now());
    let v = me(&app, &owner).await;
    assert_eq!((v["abha_status"].as_str(), v["abha_verified_by"].is_null()), (Some("verified"), true));
    assert_eq!(me(&app, &squatter).await["abha_status"], "displaced");
}
