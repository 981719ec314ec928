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

    // A claimed number reaches no hospital; at the desk the patient shows a code from the CLI
    // and staff verify the number with it.
    let (hospital, _) = app.new_hospital("IN2710000001").await;
    let link_request = serde_json::json!({"patient_abha_number": abha.as_digits()});
    let r = app.post("/v1/links", Some(&hospital), &link_request).await;
    pramana_tests::assert_error(r, 422, "invalid_patient_abha_number").await;
    let (ok, v, err) = run(s(&["abha", "status"]), pass).await;
    assert!(ok && v["abha_status"] == "claimed", "{err}{v}");
    let (ok, code, err) = run(s(&["abha", "code"]), pass).await;
    assert!(ok, "{err}");
    let body = serde_json::json!({"abha_number": abha.hyphenated(), "code": code["code"]});
    let r = app.post("/v1/abha-verifications", Some(&hospital), &body).await;
    assert_eq!(r.status(), 200);
    let (ok, v, err) = run(s(&["abha", "status"]), pass).await;
    assert!(ok && v["abha_status"] == "verified" && v["abha_verified_by"]["hfr_id"] == "IN2710000001", "{err}{v}");

    // A hospital asks to add documents; the patient sees it and approves from the CLI.
    let r = app.post("/v1/links", Some(&hospital), &link_request).await;
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

/// `pramana upload` killed mid-way (the attack: a long upload lost to a dead laptop battery)
/// and run again resumes from what the server has, into one document.
#[tokio::test]
async fn a_killed_upload_resumes_when_run_again() {
    let app = spawn_app().await;
    let home = std::env::temp_dir().join(format!("pramana-cli-{}", uuid::Uuid::new_v4()));
    let api = app.base.clone();
    let abha = random_abha();
    let pass = "correct horse battery staple";
    let run = |args: Vec<String>| {
        let (api, home) = (api.clone(), home.clone());
        async move {
            tokio::task::spawn_blocking(move || {
                let args: Vec<&str> = args.iter().map(String::as_str).collect();
                pramana(&api, &home, pass, &args)
            })
            .await
            .unwrap()
        }
    };
    let s = |v: &[&str]| v.iter().map(|x| (*x).to_owned()).collect::<Vec<_>>();
    assert!(run(s(&["identity", "create"])).await.0);
    assert!(run(s(&["register", "--abha", &abha.hyphenated(), "--name", "Asha"])).await.0);
    assert!(run(s(&["login", "--login", abha.as_digits()])).await.0);

    let input = home.join("scan.dcm");
    let data: Vec<u8> = (0..3_000_000u32).map(|i| (i % 239) as u8).collect();
    std::fs::write(&input, &data).unwrap();
    let upload = ["upload", input.to_str().unwrap(), "--type", "DiagnosticReport", "--date", "2026-01-10"];

    // First run: slowed down (64 KiB every 40 ms), killed once part of the envelope is staged.
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_pramana"))
        .args(["--json"])
        .args(upload)
        .env("PRAMANA_API", &api)
        .env("PRAMANA_HOME", &home)
        .env("PRAMANA_PASSPHRASE", pass)
        .env("PRAMANA_UPLOAD_THROTTLE_MS", "40")
        .stdout(std::process::Stdio::null())
        .stderr(std::fs::File::create(home.join("first-run.log")).unwrap())
        .spawn()
        .unwrap();
    let staged_dir = app.storage_dir.join("resumable");
    let staged = || -> u64 {
        std::fs::read_dir(&staged_dir)
            .map(|d| d.filter_map(Result::ok).filter_map(|e| e.metadata().ok()).map(|m| m.len()).sum())
            .unwrap_or(0)
    };
    let mut waited = 0;
    while staged() < 512 * 1024 {
        let log = || std::fs::read_to_string(home.join("first-run.log")).unwrap_or_default();
        assert!(waited < 600, "the upload never got going: {}", log());
        assert!(child.try_wait().unwrap().is_none(), "the upload ended before it was killed");
        // (Not a blocking sleep: the API runs on this test's runtime.)
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        waited += 1;
    }
    child.kill().unwrap();
    child.wait().unwrap();
    let before = staged();
    assert!(before > 0 && before < data.len() as u64, "part of it is on the server: {before}");
    let pending = std::fs::read_dir(home.join("uploads")).unwrap().count();
    assert_eq!(pending, 2, "the sealed envelope and the upload's state are kept");

    // Second run: resumes (HEAD, then PATCH from the offset) and finishes.
    let (ok, doc, err) = run(s(&upload)).await;
    assert!(ok, "{err}");
    assert!(err.contains("resuming the upload of document"), "{err}");
    let id = doc["id"].as_str().unwrap().to_owned();
    let (ok, list, _) = run(s(&["ls"])).await;
    assert!(ok);
    assert_eq!(list.as_array().unwrap().len(), 1, "one document: {list}");
    assert_eq!(std::fs::read_dir(home.join("uploads")).unwrap().count(), 0, "the state is cleaned up");
    assert_eq!(staged(), 0, "nothing left staged on the server");
    let output = home.join("out.dcm");
    let (ok, _, err) = run(s(&["download", &id, "-o", output.to_str().unwrap()])).await;
    assert!(ok, "{err}");
    assert_eq!(std::fs::read(&output).unwrap(), data);
}
