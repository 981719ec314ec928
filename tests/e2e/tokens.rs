//! Login, tokens and sessions: wrong passwords, forged tokens, refresh rotation and reuse.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{EncodingKey, Header};
use pramana_tests::{JWT_SECRET, PATIENT_PASSWORD, assert_error, random_abha, spawn_app, spawn_app_with};
use serde_json::{Value, json};

#[tokio::test]
async fn wrong_password_and_unknown_login_look_the_same() {
    let app = spawn_app().await;
    let p = app.new_patient().await;
    let before = app.table_counts().await;
    let wrong_pw =
        app.post("/v1/auth/login", None, &json!({"login": p.abha.as_digits(), "password": "not the password"})).await;
    let a = assert_error(wrong_pw, 401, "unauthorized").await;
    let unknown = app
        .post("/v1/auth/login", None, &json!({"login": random_abha().as_digits(), "password": PATIENT_PASSWORD}))
        .await;
    let b = assert_error(unknown, 401, "unauthorized").await;
    let nobody = app.post("/v1/auth/login", None, &json!({"login": "nobody@abdm", "password": PATIENT_PASSWORD})).await;
    let c = assert_error(nobody, 401, "unauthorized").await;
    assert_eq!(a["message"], b["message"]);
    assert_eq!(a["message"], c["message"]);
    assert_eq!(app.table_counts().await, before, "failed logins change nothing");
}

fn claims(sub: &str, sid: &str, aud: &str, exp_offset: i64) -> Value {
    let now = chrono::Utc::now().timestamp();
    json!({"sub": sub, "role": "patient", "sid": sid, "iss": "pramana", "aud": aud,
           "iat": now, "exp": now + exp_offset, "jti": uuid::Uuid::new_v4()})
}

fn sign(claims: &Value, secret: &str) -> String {
    jsonwebtoken::encode(&Header::default(), claims, &EncodingKey::from_secret(secret.as_bytes())).unwrap()
}

#[tokio::test]
async fn forged_expired_none_and_wrong_audience_tokens_are_401() {
    let app = spawn_app().await;
    let p = app.new_patient().await;
    assert_eq!(app.get("/v1/patients/me", Some(&p.access)).await.status(), 200);

    // Read the real claims to reuse sub and sid.
    let payload = p.access.split('.').nth(1).unwrap();
    let real: Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap();
    let (sub, sid) = (real["sub"].as_str().unwrap(), real["sid"].as_str().unwrap());

    let expired = sign(&claims(sub, sid, "pramana-api", -3600), JWT_SECRET);
    let wrong_aud = sign(&claims(sub, sid, "someone-else", 600), JWT_SECRET);
    let wrong_key = sign(&claims(sub, sid, "pramana-api", 600), "another-secret-another-secret-another-secret");
    let none_header = URL_SAFE_NO_PAD.encode(br#"{"alg":"none","typ":"JWT"}"#);
    let none_payload = URL_SAFE_NO_PAD.encode(claims(sub, sid, "pramana-api", 600).to_string());
    let alg_none = format!("{none_header}.{none_payload}.");
    let mut tampered_claims = real.clone();
    tampered_claims["role"] = json!("admin");
    let tampered = {
        let mut parts: Vec<String> = p.access.split('.').map(str::to_owned).collect();
        parts[1] = URL_SAFE_NO_PAD.encode(tampered_claims.to_string());
        parts.join(".")
    };
    let good_right_key = sign(&claims(sub, sid, "pramana-api", 600), JWT_SECRET);
    assert_eq!(
        app.get("/v1/patients/me", Some(&good_right_key)).await.status(),
        200,
        "control: a well-formed token works"
    );

    let before = app.table_counts().await;
    for (name, token) in [
        ("expired", expired),
        ("wrong audience", wrong_aud),
        ("wrong key", wrong_key),
        ("alg none", alg_none),
        ("tampered", tampered),
        ("garbage", "abc.def.ghi".to_owned()),
    ] {
        let r = app.get("/v1/patients/me", Some(&token)).await;
        assert_eq!(r.status(), 401, "{name}");
        assert_error(r, 401, "unauthorized").await;
    }
    assert_error(app.get("/v1/patients/me", None).await, 401, "unauthorized").await;
    assert_eq!(app.table_counts().await, before);
}

#[tokio::test]
async fn refresh_rotates_and_reuse_revokes_the_session() {
    let app = spawn_app().await;
    let p = app.new_patient().await;

    let r = app.post("/v1/auth/refresh", None, &json!({"refresh_token": p.refresh})).await;
    assert_eq!(r.status(), 200);
    let second: Value = r.json().await.unwrap();
    let access2 = second["access_token"].as_str().unwrap().to_owned();
    let refresh2 = second["refresh_token"].as_str().unwrap().to_owned();
    assert_ne!(refresh2, p.refresh);
    assert_eq!(app.get("/v1/patients/me", Some(&access2)).await.status(), 200);

    // Reusing the rotated token: refused, and the whole session ends.
    let r = app.post("/v1/auth/refresh", None, &json!({"refresh_token": p.refresh})).await;
    assert_error(r, 401, "unauthorized").await;
    let r = app.post("/v1/auth/refresh", None, &json!({"refresh_token": refresh2})).await;
    assert_error(r, 401, "unauthorized").await;
    assert_error(app.get("/v1/patients/me", Some(&access2)).await, 401, "unauthorized").await;
    assert_error(app.get("/v1/patients/me", Some(&p.access)).await, 401, "unauthorized").await;
    let reason: String = sqlx::query_scalar("SELECT revoked_reason FROM sessions").fetch_one(&app.pool).await.unwrap();
    assert_eq!(reason, "refresh_reuse");

    // Unknown refresh tokens change nothing.
    let before = app.table_counts().await;
    let r = app.post("/v1/auth/refresh", None, &json!({"refresh_token": "not-a-token"})).await;
    assert_error(r, 401, "unauthorized").await;
    assert_eq!(app.table_counts().await, before);
}

#[tokio::test]
async fn logout_ends_access_and_refresh_at_once() {
    let app = spawn_app().await;
    let p = app.new_patient().await;
    let r = app.post("/v1/auth/logout", Some(&p.access), &json!({})).await;
    assert_eq!(r.status(), 204);
    assert_error(app.get("/v1/patients/me", Some(&p.access)).await, 401, "unauthorized").await;
    let r = app.post("/v1/auth/refresh", None, &json!({"refresh_token": p.refresh})).await;
    assert_error(r, 401, "unauthorized").await;
}

#[tokio::test]
async fn auth_endpoints_are_rate_limited() {
    let app = spawn_app_with(json!({"auth": {"rate_limit_per_minute": 2, "rate_limit_burst": 2}})).await;
    let mut statuses = Vec::new();
    for _ in 0..4 {
        let r = app.post("/v1/auth/login", None, &json!({"login": "nobody", "password": "whatever-long-enough"})).await;
        statuses.push(r.status().as_u16());
        if r.status() == 429 {
            assert_error(r, 429, "rate_limited").await;
        }
    }
    assert_eq!(&statuses[..2], &[401, 401]);
    assert_eq!(statuses[3], 429, "{statuses:?}");
    // Other endpoints are not limited.
    assert_eq!(app.get("/healthz", None).await.status(), 200);
}
