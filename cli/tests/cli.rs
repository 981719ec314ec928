//! The real `pramana` binary against the real API: keystore, register, login (publishes keys),
//! upload, list, download with SHA-256 check, header history, links, delete.

use std::path::Path;
use std::process::Command;

use pramana_tests::{random_abha, spawn_app};
use serde_json::Value;

fn pramana(api: &str, home: &Path, passphrase: &str, args: &[&str]) -> (bool, Value, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_pramana"))
        .args(["--json"])
        .args(args)
        .env("PRAMANA_API", api)
        .env("PRAMANA_HOME", home)
        .env("PRAMANA_PASSPHRASE", passphrase)
        .env("PRAMANA_PASSWORD", "a long enough password")
        .output()
        .expect("run pramana");
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    let json = stdout.lines().last().and_then(|l| serde_json::from_str(l).ok()).unwrap_or(Value::Null);
    (out.status.success(), json, String::from_utf8_lossy(&out.stderr).to_string())
}

#[tokio::test]
async fn a_patient_round_trip_through_the_cli() {
    let app = spawn_app().await;
    let home = std::env::temp_dir().join(format!("pramana-cli-{}", uuid::Uuid::new_v4()));
    let api = app.base.clone();
    let abha = random_abha();
    let pass = "correct horse battery staple";
    let run = move |args: Vec<String>, passphrase: &'static str| {
        let (api, home) = (api.clone(), home.clone());
        async move {
            tokio::task::spawn_blocking(move || {
                let args: Vec<&str> = args.iter().map(String::as_str).collect();
                pramana(&api, &home, passphrase, &args)
            })
            .await
            .unwrap()
        }
    };
    let s = |v: &[&str]| v.iter().map(|x| (*x).to_owned()).collect::<Vec<_>>();
    let dir = std::env::temp_dir().join(format!("pramana-cli-files-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();

    let (ok, v, err) = run(s(&["identity", "create"]), pass).await;
    assert!(ok, "{err}");
    assert_eq!(v["x25519_public"].as_str().unwrap().len(), 64);
    let (ok, _, err) = run(s(&["register", "--abha", &abha.hyphenated(), "--name", "Asha"]), pass).await;
    assert!(ok, "{err}");
    let (ok, v, err) = run(s(&["login", "--login", abha.as_digits()]), pass).await;
    assert!(ok, "{err}");
    assert_eq!(v["role"], "patient");

    let input = dir.join("report.pdf");
    let data: Vec<u8> = (0..300_000u32).map(|i| (i % 241) as u8).collect();
    std::fs::write(&input, &data).unwrap();
    let (ok, doc, err) =
        run(s(&["upload", input.to_str().unwrap(), "--type", "DiagnosticReport", "--date", "2026-01-10"]), pass).await;
    assert!(ok, "{err}");
    let id = doc["id"].as_str().unwrap().to_owned();
    let (ok, list, _) = run(s(&["ls"]), pass).await;
    assert!(ok);
    assert_eq!(list[0]["id"], id);

    let output = dir.join("out.pdf");
    let (ok, _, err) = run(s(&["download", &id, "-o", output.to_str().unwrap()]), "wrong passphrase!!").await;
    assert!(!ok && err.contains("wrong passphrase"), "{err}");
    assert!(!output.exists(), "nothing written on failure");
    let (ok, v, err) = run(s(&["download", &id, "-o", output.to_str().unwrap()]), pass).await;
    assert!(ok, "{err}");
    assert_eq!(std::fs::read(&output).unwrap(), data);
    assert_eq!(v["size"], data.len());
    let (ok, _, err) = run(s(&["identity", "check"]), pass).await;
    assert!(ok, "{err}");

    // The header's history: one version so far; restoring the current one changes nothing.
    let (ok, versions, err) = run(s(&["document", "headers", &id]), pass).await;
    assert!(ok, "{err}");
    assert_eq!((versions.as_array().unwrap().len(), versions[0]["reason"].as_str()), (1, Some("upload")), "{versions}");
    let (ok, _, err) = run(s(&["document", "restore-header", &id, "1"]), pass).await;
    assert!(!ok && err.contains("already the current header"), "{err}");
    let (ok, _, err) = run(s(&["document", "restore-header", &id, "7"]), pass).await;
    assert!(!ok && err.contains("has no header version 7"), "{err}");

    // A hospital asks to add documents; the patient sees it and approves from the CLI.
    let (hospital, _) = app.new_hospital("IN2710000001").await;
    let r = app.post("/v1/links", Some(&hospital), &serde_json::json!({"patient_abha_number": abha.as_digits()})).await;
    assert_eq!(r.status(), 201);
    let (ok, links, err) = run(s(&["link", "list"]), pass).await;
    assert!(ok, "{err}");
    assert_eq!(
        (links[0]["status"].as_str(), links[0]["hospital_name"].as_str()),
        (Some("REQUESTED"), Some("City Hospital"))
    );
    let link = links[0]["id"].as_str().unwrap().to_owned();
    let (ok, v, err) = run(s(&["link", "approve", &link]), pass).await;
    assert!(ok, "{err}");
    assert_eq!(v["status"], "LINKED");
    let (ok, _, err) = run(s(&["link", "approve", &link]), pass).await;
    assert!(!ok && err.contains("invalid_transition"), "{err}");
    let (ok, v, err) = run(s(&["link", "end", &link]), pass).await;
    assert!(ok, "{err}");
    assert_eq!((v["status"].as_str(), v["ended_by"].as_str()), (Some("UNLINKED"), Some("patient")));

    let (ok, _, err) = run(s(&["delete", &id]), pass).await;
    assert!(ok, "{err}");
    let (ok, _, err) = run(s(&["download", &id, "-o", output.to_str().unwrap()]), pass).await;
    assert!(!ok && err.contains("not_found"), "{err}");
}
