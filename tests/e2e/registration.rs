//! Patient registration: validation, duplicates, and that refused requests change nothing.

use pramana_tests::{PATIENT_PASSWORD, assert_error, random_abha, spawn_app};
use serde_json::json;

#[tokio::test]
async fn registers_with_or_without_hyphens_and_stores_normalised() {
    let app = spawn_app().await;
    let abha = random_abha();
    let r = app
        .post(
            "/v1/auth/register",
            None,
            &json!({"abha_number": abha.as_digits(), "abha_addresses": ["Asha.Rao@ABDM"], "name": " Asha ", "password": PATIENT_PASSWORD}),
        )
        .await;
    assert_eq!(r.status(), 201);
    let body: serde_json::Value = r.json().await.unwrap();
    assert_eq!(body["abha_number"], abha.hyphenated());
    assert_eq!(body["abha_addresses"], json!(["asha.rao@abdm"]));
    assert_eq!(body["name"], "Asha");
    let stored: String = sqlx::query_scalar("SELECT abha_number FROM patients").fetch_one(&app.pool).await.unwrap();
    assert_eq!(stored, abha.as_digits());

    // Login works with the hyphenated number and with the ABHA address.
    app.login(&abha.hyphenated(), PATIENT_PASSWORD).await;
    app.login("asha.rao@abdm", PATIENT_PASSWORD).await;
}

#[tokio::test]
async fn invalid_abha_numbers_are_422_naming_the_field_and_change_nothing() {
    let app = spawn_app().await;
    let good = random_abha();
    let d = good.as_digits();
    let bad_check = format!("{}{}", &d[..13], (d.as_bytes()[13] - b'0' + 1) % 10);
    let before = app.table_counts().await;
    for bad in [bad_check.as_str(), &d[..13], &format!("{d}1"), "91234567890abc", "", "91-2345-6789-01"] {
        let r = app
            .post("/v1/auth/register", None, &json!({"abha_number": bad, "name": "X", "password": PATIENT_PASSWORD}))
            .await;
        let body = assert_error(r, 422, "invalid_abha_number").await;
        assert_eq!(body["field"], "abha_number");
    }
    let r = app
        .post(
            "/v1/auth/register",
            None,
            &json!({"abha_number": d, "abha_addresses": ["asha@gmail.com"], "name": "X", "password": PATIENT_PASSWORD}),
        )
        .await;
    assert_error(r, 422, "invalid_abha_addresses").await;
    let r = app.post("/v1/auth/register", None, &json!({"abha_number": d, "name": "X", "password": "short"})).await;
    assert_error(r, 422, "invalid_password").await;
    let r =
        app.post("/v1/auth/register", None, &json!({"abha_number": d, "name": "", "password": PATIENT_PASSWORD})).await;
    assert_error(r, 422, "invalid_name").await;
    let r = app.post("/v1/auth/register", None, &json!({"abha_number": d})).await;
    assert_error(r, 422, "invalid_body").await;
    let r = app
        .http
        .post(app.url("/v1/auth/register"))
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_error(r, 400, "malformed_json").await;
    let r = app.http.post(app.url("/v1/auth/register")).body("{}").send().await.unwrap();
    assert_error(r, 415, "unsupported_media_type").await;
    assert_eq!(app.table_counts().await, before, "refused requests changed nothing");
}

#[tokio::test]
async fn registering_a_number_again_with_its_password_is_409_and_changes_nothing() {
    let app = spawn_app().await;
    let p = app.new_patient().await;
    let before = app.table_counts().await;
    let r = app
        .post(
            "/v1/auth/register",
            None,
            &json!({"abha_number": p.abha.hyphenated(), "name": "Someone", "password": PATIENT_PASSWORD}),
        )
        .await;
    assert_error(r, 409, "already_registered").await;
    assert_eq!(app.table_counts().await, before);
}

#[tokio::test]
async fn an_abha_address_claimed_twice_signs_in_to_neither_until_one_is_verified() {
    let app = spawn_app().await;
    let register = |name: &'static str, password: &'static str| {
        let body = json!({"abha_number": random_abha().as_digits(), "abha_addresses": ["dup@sbx"], "name": name, "password": password});
        let app = &app;
        async move {
            let r = app.post("/v1/auth/register", None, &body).await;
            assert_eq!(r.status(), 201);
            let v: serde_json::Value = r.json().await.unwrap();
            (v["id"].as_str().unwrap().to_owned(), v["abha_number"].as_str().unwrap().to_owned())
        }
    };
    let (a, a_abha) = register("A", "first password 12345").await;
    // One holder: the address signs in.
    let (token, _) = app.login("dup@sbx", "first password 12345").await;
    // A second claim of the same address (in upper case) is taken; neither signs in by it now.
    let (_, b_abha) = register("B", "second password 1234").await;
    let login = |password: &'static str| {
        let body = json!({"login": "DUP@sbx", "password": password});
        let app = &app;
        async move { app.post("/v1/auth/login", None, &body).await }
    };
    assert_error(login("first password 12345").await, 401, "unauthorized").await;
    assert_error(login("second password 1234").await, 401, "unauthorized").await;
    app.login(&b_abha, "second password 1234").await;
    // Verifying A's number verifies its address: it signs in to A again.
    let code: serde_json::Value =
        app.post("/v1/patients/me/abha-verification-code", Some(&token), &json!({})).await.json().await.unwrap();
    app.desk_verify(&pramana_core::AbhaNumber::parse(&a_abha).unwrap(), code["code"].as_str().unwrap()).await;
    let r = login("first password 12345").await;
    assert_eq!(r.status(), 200);
    let v: serde_json::Value = r.json().await.unwrap();
    assert_eq!(v["subject_id"], a);
    assert_error(login("second password 1234").await, 401, "unauthorized").await;
}

#[tokio::test]
async fn oversize_bodies_are_413() {
    let app = spawn_app().await;
    let before = app.table_counts().await;
    let big = "x".repeat(70 * 1024);
    let r = app
        .post("/v1/auth/register", None, &json!({"abha_number": big, "name": "X", "password": PATIENT_PASSWORD}))
        .await;
    assert_error(r, 413, "body_too_large").await;
    assert_eq!(app.table_counts().await, before);
}
