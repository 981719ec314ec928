//! `pramana login` with two-factor sign-in: `--totp CODE`, and a clear error with no code and no
//! terminal to ask on.

#![allow(clippy::unwrap_used, reason = "tests fail loudly on the first surprise")]

mod common;

use pramana_api::auth::totp;
use pramana_tests::{PATIENT_PASSWORD, spawn_app};
use serde_json::{Value, json};

#[tokio::test]
async fn login_asks_for_the_second_factor_and_takes_it_with_totp() {
    let app = spawn_app().await;
    let patient = app.new_patient().await;
    let r = app.post("/v1/auth/second-factor/setup", Some(&patient.access), &json!({})).await;
    let setup: Value = r.json().await.unwrap();
    let secret = totp::from_base32(setup["secret"].as_str().unwrap()).unwrap();
    let step = totp::step_at(chrono::Utc::now().timestamp());
    let r = app
        .post("/v1/auth/second-factor/enable", Some(&patient.access), &json!({"code": totp::code(&secret, step)}))
        .await;
    assert_eq!(r.status(), 200);

    let home = std::env::temp_dir().join(format!("pramana-cli-2fa-{}", uuid::Uuid::new_v4()));
    let home_s = home.to_str().unwrap().to_owned();
    let envs = |extra: &[(&'static str, String)]| {
        let mut v = vec![
            ("PRAMANA_API", app.base.clone()),
            ("PRAMANA_HOME", home_s.clone()),
            ("PRAMANA_PASSPHRASE", "a keystore passphrase".to_owned()),
            ("PRAMANA_PASSWORD", PATIENT_PASSWORD.to_owned()),
        ];
        v.extend(extra.iter().cloned());
        v
    };
    let run = |args: Vec<&'static str>, extra: Vec<String>| {
        let envs = envs(&[]);
        async move {
            tokio::task::spawn_blocking(move || {
                let mut all: Vec<String> = args.iter().map(|a| (*a).to_owned()).collect();
                all.extend(extra);
                let all: Vec<&str> = all.iter().map(String::as_str).collect();
                let envs: Vec<(&str, &str)> = envs.iter().map(|(k, v)| (*k, v.as_str())).collect();
                common::pramana_json(&all, &envs)
            })
            .await
            .unwrap()
        }
    };
    let (code, _, err) = run(vec!["identity", "create"], vec![]).await;
    assert_eq!(code, 0, "{err}");
    let login = patient.abha.as_digits().to_owned();

    let (code, _, err) = run(vec!["login", "--login"], vec![login.clone()]).await;
    assert_ne!(code, 0);
    assert!(err.contains("--totp"), "a clear error without a terminal: {err}");
    assert!(!home.join("session.json").exists());

    let near: Vec<String> = (step - 2..=step + 2).map(|s| totp::code(&secret, s)).collect();
    let wrong = ["000000", "111111", "222222"].into_iter().find(|c| !near.iter().any(|n| n == c)).unwrap();
    let (code, _, err) = run(vec!["login", "--login"], vec![login.clone(), "--totp".into(), wrong.into()]).await;
    assert_ne!(code, 0);
    assert!(err.contains("second_factor_invalid"), "{err}");

    let right = totp::code(&secret, step + 1);
    let (code, v, err) = run(vec!["login", "--login"], vec![login, "--totp".into(), right]).await;
    assert_eq!(code, 0, "{err}");
    assert_eq!(v["role"], "patient");
    assert!(home.join("session.json").exists());
}
