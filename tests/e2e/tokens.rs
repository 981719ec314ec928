//! Login, tokens and sessions: wrong passwords, forged tokens, refresh rotation and reuse.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{EncodingKey, Header};
use pramana_tests::{
    JWT_SECRET, PATIENT_PASSWORD, assert_error, assert_refused, random_abha, spawn_app, spawn_app_with,
};
use pramana_wire::{LoginRequest, RefreshRequest};
use serde_json::{Value, json};

fn login(login: &str, password: &str) -> LoginRequest {
    LoginRequest { login: login.to_owned(), password: password.to_owned(), refresh_cookie: false }
}

fn refresh(token: &str) -> RefreshRequest {
    RefreshRequest { refresh_token: Some(token.to_owned()) }
}

#[tokio::test]
async fn wrong_password_and_unknown_login_look_the_same() {
    let app = spawn_app().await;
    let p = app.new_patient().await;
    let before = app.table_counts().await;
    let api = app.client();
    let wrong_pw = api.login(&login(p.abha.as_digits(), "not the password")).await;
    let a = assert_refused(wrong_pw, 401, "unauthorized");
    let unknown = api.login(&login(random_abha().as_digits(), PATIENT_PASSWORD)).await;
    let b = assert_refused(unknown, 401, "unauthorized");
    let nobody = api.login(&login("nobody@abdm", PATIENT_PASSWORD)).await;
    let c = assert_refused(nobody, 401, "unauthorized");
    assert_eq!(a.message, b.message);
    assert_eq!(a.message, c.message);
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
    app.client_as(&p.access).patient_me().await.unwrap();

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
    app.client_as(&good_right_key).patient_me().await.expect("control: a well-formed token works");

    let before = app.table_counts().await;
    for (name, token) in [
        ("expired", expired),
        ("wrong audience", wrong_aud),
        ("wrong key", wrong_key),
        ("alg none", alg_none),
        ("tampered", tampered),
        ("garbage", "abc.def.ghi".to_owned()),
    ] {
        let r = app.client_as(&token).patient_me().await;
        assert_eq!(r.as_ref().err().and_then(|e| e.status()).map(|s| s.as_u16()), Some(401), "{name}");
        assert_refused(r, 401, "unauthorized");
    }
    assert_refused(app.client().patient_me().await, 401, "unauthorized");
    assert_eq!(app.table_counts().await, before);
}

#[tokio::test]
async fn refresh_rotates_and_reuse_revokes_the_session() {
    let app = spawn_app().await;
    let p = app.new_patient().await;

    let api = app.client();
    let second = api.refresh(&refresh(&p.refresh)).await.unwrap();
    let (access2, refresh2) = (second.access_token, second.refresh_token.unwrap());
    assert_ne!(refresh2, p.refresh);
    app.client_as(&access2).patient_me().await.unwrap();

    // Reusing the rotated token: refused, and the whole session ends.
    assert_refused(api.refresh(&refresh(&p.refresh)).await, 401, "unauthorized");
    assert_refused(api.refresh(&refresh(&refresh2)).await, 401, "unauthorized");
    assert_refused(app.client_as(&access2).patient_me().await, 401, "unauthorized");
    assert_refused(app.client_as(&p.access).patient_me().await, 401, "unauthorized");
    let reason: String = sqlx::query_scalar("SELECT revoked_reason FROM sessions WHERE role = 'patient'")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(reason, "refresh_reuse");

    // Unknown refresh tokens change nothing.
    let before = app.table_counts().await;
    assert_refused(api.refresh(&refresh("not-a-token")).await, 401, "unauthorized");
    assert_eq!(app.table_counts().await, before);
}

#[tokio::test]
async fn logout_ends_access_and_refresh_at_once() {
    let app = spawn_app().await;
    let p = app.new_patient().await;
    let api = app.client_as(&p.access);
    api.logout().await.unwrap();
    assert_refused(api.patient_me().await, 401, "unauthorized");
    assert_refused(app.client().refresh(&refresh(&p.refresh)).await, 401, "unauthorized");
}

#[tokio::test]
async fn auth_endpoints_are_rate_limited_per_client_ip() {
    // One address trying a different account each time (a password spray) is limited by the
    // per-IP quota on /v1/auth/*, which no per-account limit would catch.
    let app = spawn_app_with(json!({"rate_limit": {"auth_per_ip_per_minute": 2, "auth_per_ip_burst": 2}})).await;
    let mut statuses = Vec::new();
    for i in 0..4 {
        let r = app.client().login(&login(&format!("nobody-{i}"), "whatever-long-enough")).await;
        let status = r.as_ref().err().and_then(|e| e.status()).map_or(200, |s| s.as_u16());
        statuses.push(status);
        if status == 429 {
            assert_refused(r, 429, "rate_limited");
        }
    }
    assert_eq!(&statuses[..2], &[401, 401]);
    assert_eq!(statuses[3], 429, "{statuses:?}");
    // Health endpoints are not limited.
    assert_eq!(app.get("/healthz", None).await.status(), 200);
}

/// The portal's cookie mode: the refresh token only ever in an HttpOnly cookie, and a forged
/// cross-site refresh (the cookie rides along, but the attacker cannot read the CSRF cookie)
/// refused without touching the session.
#[tokio::test]
async fn cookie_mode_refresh_needs_the_csrf_header_and_logout_clears_the_cookies() {
    let app = spawn_app().await;
    let p = app.new_patient().await;
    let body = json!({"login": p.abha.as_digits(), "password": PATIENT_PASSWORD, "refresh_cookie": true});
    let r = app.post("/v1/auth/login", None, &body).await;
    assert_eq!(r.status(), 200);
    let cookies: Vec<String> =
        r.headers().get_all("set-cookie").iter().map(|v| v.to_str().unwrap().to_owned()).collect();
    let tokens: Value = r.json().await.unwrap();
    assert!(tokens.get("refresh_token").is_none(), "no refresh token in the body: {tokens}");
    let cookie = |name: &str| {
        let c = cookies.iter().find(|c| c.starts_with(&format!("{name}="))).unwrap_or_else(|| panic!("{name} set"));
        (c.clone(), c.split(';').next().unwrap().split_once('=').unwrap().1.to_owned())
    };
    let (refresh_cookie, refresh) = cookie("pramana_refresh");
    let (csrf_cookie, csrf) = cookie("pramana_csrf");
    for attr in ["HttpOnly", "Secure", "SameSite=Strict", "Path=/v1/auth"] {
        assert!(refresh_cookie.contains(attr), "{refresh_cookie} lacks {attr}");
    }
    assert!(!csrf_cookie.contains("HttpOnly") && csrf_cookie.contains("SameSite=Strict"));

    let send = |csrf_header: Option<String>| {
        let mut req = app
            .http
            .post(app.url("/v1/auth/refresh"))
            .header("cookie", format!("pramana_refresh={refresh}; pramana_csrf={csrf}"))
            .json(&json!({}));
        if let Some(h) = csrf_header {
            req = req.header("x-csrf-token", h);
        }
        req.send()
    };
    // Forged: no header, or a header that is not this session's token.
    let before = app.table_counts().await;
    assert_error(send(None).await.unwrap(), 403, "csrf_failed").await;
    assert_error(send(Some("guess".into())).await.unwrap(), 403, "csrf_failed").await;
    assert_eq!(app.table_counts().await, before, "a refused refresh changes nothing");

    // Genuine: rotates, with new cookies.
    let ok = send(Some(csrf.clone())).await.unwrap();
    assert_eq!(ok.status(), 200);
    let rotated: Vec<String> =
        ok.headers().get_all("set-cookie").iter().map(|v| v.to_str().unwrap().to_owned()).collect();
    assert!(rotated.iter().any(|c| c.starts_with("pramana_refresh=") && !c.contains(&refresh)));
    let access = ok.json::<Value>().await.unwrap()["access_token"].as_str().unwrap().to_owned();
    // The old cookie is spent: reusing it ends the session.
    assert_eq!(send(Some(csrf.clone())).await.unwrap().status(), 401);
    assert_eq!(app.get("/v1/patients/me", Some(&access)).await.status(), 401);

    // Logout deletes both cookies.
    let fresh = app.post("/v1/auth/login", None, &body).await;
    let token = fresh.json::<Value>().await.unwrap()["access_token"].as_str().unwrap().to_owned();
    let out = app.post("/v1/auth/logout", Some(&token), &json!({})).await;
    assert_eq!(out.status(), 204);
    let cleared: Vec<&str> = out.headers().get_all("set-cookie").iter().map(|v| v.to_str().unwrap()).collect();
    assert!(cleared.iter().any(|c| c.starts_with("pramana_refresh=;") && c.contains("Max-Age=0")), "{cleared:?}");
    assert!(cleared.iter().any(|c| c.starts_with("pramana_csrf=;") && c.contains("Max-Age=0")), "{cleared:?}");
}
