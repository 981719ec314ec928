//! `pramana export` and `pramana verify --archive`, the real binary against the real API, Anvil
//! and the deployed contract: a patient uploads with the CLI, the worker anchors, the patient
//! exports and checks the archive with no platform call; any change to an envelope or a proof
//! inside the archive is caught and named.

#![allow(clippy::unwrap_used, reason = "tests fail loudly on the first surprise")]

use std::io::Read as _;
use std::path::{Path, PathBuf};

use pramana_tests::{assert_error, register_x25519, run_worker_until_idle, spawn_platform};
use serde_json::{Value, json};

mod common;

/// An API URL nothing listens on: verification must not need the platform.
const NOWHERE: &str = "http://127.0.0.1:9";

async fn run(api: &str, home: &Path, args: &[&str]) -> (i32, Value, String) {
    common::pramana_at(api, home, args).await
}

fn temp_dir(what: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("pramana-{what}-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// The archive's files, in order.
fn entries(archive: &Path) -> Vec<(String, Vec<u8>)> {
    let bytes = std::fs::read(archive).unwrap();
    let mut tar = tar::Archive::new(&bytes[..]);
    let mut out = Vec::new();
    for entry in tar.entries().unwrap() {
        let mut entry = entry.unwrap();
        let mut body = Vec::new();
        entry.read_to_end(&mut body).unwrap();
        out.push((entry.path().unwrap().to_string_lossy().into_owned(), body));
    }
    out
}

/// A copy of `archive` at `out` with `change` applied to the file at `path`.
fn rewrite(archive: &Path, out: &Path, path: &str, change: impl Fn(&mut Vec<u8>)) {
    let mut builder = tar::Builder::new(Vec::new());
    let mut found = false;
    for (name, mut body) in entries(archive) {
        if name == path {
            change(&mut body);
            found = true;
        }
        let mut h = tar::Header::new_ustar();
        h.set_size(body.len() as u64);
        h.set_mode(0o644);
        builder.append_data(&mut h, &name, &body[..]).unwrap();
    }
    assert!(found, "{path} is in the archive");
    std::fs::write(out, builder.into_inner().unwrap()).unwrap();
}

fn problems(v: &Value) -> String {
    v["problems"].to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_patient_exports_everything_and_verifies_it_against_the_chain_only() {
    let p = spawn_platform().await;
    let api = p.app.base.clone();
    let rpc = p.anvil.url.clone();
    let home = temp_dir("export-home");
    let abha = pramana_tests::random_abha();
    for args in [
        vec!["identity", "create"],
        vec!["register", "--abha", &abha.hyphenated(), "--name", "Asha"],
        vec!["login", "--login", abha.as_digits()],
    ] {
        let (code, _, err) = run(&api, &home, &args).await;
        assert_eq!(code, 0, "{args:?}: {err}");
    }
    let (code, shown, err) = run(&api, &home, &["abha", "code"]).await;
    assert_eq!(code, 0, "{err}");
    p.app.desk_verify(&abha, shown["code"].as_str().unwrap()).await;
    let mut ids = Vec::new();
    for (i, (hi_type, date)) in
        [("DiagnosticReport", "2025-06-01"), ("Prescription", "2025-06-02"), ("DiagnosticReport", "2025-05-01")]
            .iter()
            .enumerate()
    {
        let file = home.join(format!("doc{i}.txt"));
        std::fs::write(&file, format!("document {i}: haemoglobin 13.{i} g/dL").repeat(50 * (i + 1))).unwrap();
        let (code, doc, err) =
            run(&api, &home, &["upload", file.to_str().unwrap(), "--type", hi_type, "--date", date]).await;
        assert_eq!(code, 0, "{err}");
        ids.push(doc["id"].as_str().unwrap().to_owned());
    }

    // Another patient's document, anchored in the same batch: never in this patient's archive.
    let other = p.app.new_patient().await;
    let other_key = register_x25519(&p.app, &other.access).await;
    let other_docs = p.upload_many(&other, &other_key, 1, 1).await;
    let other_id = other_docs[0].0.to_string();

    // Two hospitals ask; the patient grants both from the CLI and revokes the second.
    let mut consent_ids = Vec::new();
    for (n, hfr) in ["IN2710000001", "IN2710000002"].iter().enumerate() {
        let (hospital, _) = p.app.new_hospital(hfr).await;
        register_x25519(&p.app, &hospital).await;
        let eth = format!("0x{}", format!("4{n}").repeat(20));
        assert_eq!(p.app.post_key(&hospital, "ethereum", &eth).await.status(), 201);
        let now = chrono::Utc::now();
        let body = json!({
            "patient_abha_number": abha.as_digits(), "purpose": "CAREMGT", "hi_types": ["DiagnosticReport"],
            "access_mode": "VIEW", "date_range": {"from": "2025-01-01", "to": "2025-12-31"},
            "data_erase_at": (now + chrono::Duration::days(30)).to_rfc3339(),
            "frequency": {"unit": "DAY", "value": 1, "repeats": 0},
            "expires_at": (now + chrono::Duration::days(2)).to_rfc3339(),
        });
        let c: Value = p.app.post("/v1/consents", Some(&hospital), &body).await.json().await.unwrap();
        let id = c["id"].as_str().unwrap().to_owned();
        let (code, _, err) = run(&api, &home, &["consent", "approve", &id]).await;
        assert_eq!(code, 0, "{err}");
        consent_ids.push(id);
    }

    // The worker anchors everything so far and relays both grants; then the second consent is
    // revoked (not yet relayed), one document is deleted (crypto-shredded) and one more is
    // uploaded, which stays unanchored.
    let worker = p.worker(json!({})).await;
    run_worker_until_idle(&worker, &rpc).await;
    let (code, _, err) = run(&api, &home, &["consent", "revoke", &consent_ids[1]]).await;
    assert_eq!(code, 0, "{err}");
    let (code, _, err) = run(&api, &home, &["delete", &ids[2]]).await;
    assert_eq!(code, 0, "{err}");
    let late = home.join("late.txt");
    std::fs::write(&late, b"uploaded after the batch").unwrap();
    let (code, doc, err) =
        run(&api, &home, &["upload", late.to_str().unwrap(), "--type", "WellnessRecord", "--date", "2025-07-01"]).await;
    assert_eq!(code, 0, "{err}");
    let late_id = doc["id"].as_str().unwrap().to_owned();

    // Export.
    let files = temp_dir("export-files");
    let archive = files.join("export.tar");
    let a = archive.to_str().unwrap();
    let (code, v, err) = run(&api, &home, &["export", "-o", a]).await;
    assert_eq!(code, 0, "{err}");
    assert_eq!(v["documents"], 4);
    let names: Vec<String> = entries(&archive).into_iter().map(|(n, _)| n).collect();
    assert_eq!(&names[..2], ["manifest.json", "consents.json"]);
    for id in &ids[..2] {
        assert!(names.contains(&format!("documents/{id}.envelope")), "{names:?}");
        assert!(names.contains(&format!("proofs/{id}.json")), "{names:?}");
    }
    assert!(!names.contains(&format!("documents/{}.envelope", ids[2])), "a deleted document has no envelope");
    assert!(names.contains(&format!("proofs/{}.json", ids[2])), "its proof stays");
    assert!(!names.contains(&format!("proofs/{late_id}.json")));
    assert!(!names.iter().any(|n| n.contains(&other_id)), "another patient's document: {names:?}");
    let manifest: Value = serde_json::from_slice(&entries(&archive)[0].1).unwrap();
    assert_eq!(manifest["format"], "pramana-export");
    assert_eq!(manifest["patient"]["abha_number"], abha.hyphenated());
    assert_eq!(manifest["chain"]["contract"], p.contract.to_checksum(None));
    let listed: Vec<&str> =
        manifest["documents"].as_array().unwrap().iter().map(|d| d["id"].as_str().unwrap()).collect();
    assert_eq!(listed, [ids[0].as_str(), ids[1].as_str(), ids[2].as_str(), late_id.as_str()]);
    // The export is in the patient's own audit trail.
    let session: Value = serde_json::from_str(&std::fs::read_to_string(home.join("session.json")).unwrap()).unwrap();
    let token = session["access_token"].as_str().unwrap();
    let page: Value = p.app.get("/v1/audit?limit=1000", Some(token)).await.json().await.unwrap();
    let exports: Vec<&Value> =
        page["events"].as_array().unwrap().iter().filter(|e| e["action"] == "patient.export").collect();
    assert_eq!(exports.len(), 1, "{page}");
    assert_eq!(exports[0]["details"]["documents"], 4);

    // A download that broke half-way resumes from the bytes on disk: the same command again.
    let made: Value = p.app.post("/v1/patients/me/exports", Some(token), &json!({})).await.json().await.unwrap();
    let whole = p.app.get(made["download"].as_str().unwrap(), Some(token)).await.bytes().await.unwrap();
    let resumed = files.join("resumed.tar");
    let half = whole.len() / 2 + 7;
    std::fs::write(files.join("resumed.tar.part"), &whole[..half]).unwrap();
    let partial = json!({"api": api, "export": made["id"], "size": made["size"]});
    std::fs::write(files.join("resumed.tar.part.json"), partial.to_string()).unwrap();
    let (code, v, err) = run(&api, &home, &["export", "-o", resumed.to_str().unwrap()]).await;
    assert_eq!(code, 0, "{err}");
    assert_eq!((v["resumed_from"].clone(), v["export"].clone()), (json!(half), made["id"].clone()), "{v}");
    assert_eq!(std::fs::read(&resumed).unwrap(), whole[..], "byte for byte the export");
    assert!(!files.join("resumed.tar.part").exists() && !files.join("resumed.tar.part.json").exists());
    // One that can no longer be resumed (expired, or a document in it deleted) starts over.
    std::fs::write(files.join("again.tar.part"), &whole[..half]).unwrap();
    let gone = json!({"api": api, "export": uuid::Uuid::new_v4(), "size": made["size"]});
    std::fs::write(files.join("again.tar.part.json"), gone.to_string()).unwrap();
    let (code, v, err) = run(&api, &home, &["export", "-o", files.join("again.tar").to_str().unwrap()]).await;
    assert_eq!(code, 0, "{err}");
    assert_eq!(v["resumed_from"], 0, "{v}");
    assert!(err.contains("starting a new one"), "{err}");

    // The patient trusts the operator's published deployment once; no contract given after that.
    let contract = p.contract.to_string();
    let (code, v, err) = run(NOWHERE, &home, &["trust", "add", "--chain-id", "31337", &contract]).await;
    assert_eq!((code, v["added"].clone()), (0, json!(true)), "{err}");

    // Verified with the patient's keystore, the platform unreachable: content checked too.
    let (code, v, err) = run(NOWHERE, &home, &["verify", "--archive", a, "--rpc", &rpc]).await;
    assert_eq!(code, 0, "{v} {err}");
    assert_eq!(v["verified"], true);
    assert_eq!(v["trusted_contract"], json!({"address": contract, "chain_id": 31337, "source": "trust list"}));
    assert_eq!(v["manifest_contract"], contract.as_str());
    assert_eq!(v["content_checked"], true);
    assert_eq!(v["not_anchored"], json!([late_id]));
    let docs = v["documents"].as_array().unwrap();
    assert_eq!(docs.len(), 4);
    for d in &docs[..2] {
        assert_eq!((d["verified"].clone(), d["content"].clone()), (json!(true), json!("checked")), "{d}");
        assert!(d["proof"]["block_number"].as_u64().unwrap() > 0, "{d}");
    }
    assert_eq!((docs[2]["deleted"].clone(), docs[2]["verified"].clone()), (json!(true), json!(true)));
    assert_eq!(docs[3]["anchored"], false);
    let consents = v["consents"].as_array().unwrap();
    assert_eq!(consents.len(), 2);
    assert_eq!(consents[0]["status"], "GRANTED");
    assert_eq!(consents[1]["status"], "REVOKED");
    for c in consents {
        assert_eq!(c["signatures_verified"], true, "{c}");
        // Both grants relayed by the worker; the revocation is still queued: a note, not a failure.
        assert_eq!(c["on_chain"], "active", "{c}");
    }
    assert!(consents[1]["notes"][0].as_str().unwrap().contains("revocation is not on chain yet"), "{v}");
    let exported: Value =
        serde_json::from_slice(&entries(&archive).into_iter().find(|(n, _)| n == "consents.json").unwrap().1).unwrap();
    assert_eq!(exported[0]["artefact"]["chain"]["grant"]["state"], "confirmed", "the relay state travels along");
    assert_eq!(exported[1]["artefact"]["chain"]["revoke"]["state"], "pending");

    // The human report names every document and consent.
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_pramana"))
        .args(["verify", "--archive", a, "--rpc", &rpc])
        .env("PRAMANA_HOME", &home)
        .env("PRAMANA_PASSPHRASE", "a passphrase for the tests")
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success() && text.starts_with("VERIFIED"), "{text}");
    assert!(text.contains(&format!("document {late_id}")) && text.contains("not anchored yet"), "{text}");
    assert!(text.contains(&format!("consent  {}", consent_ids[1])), "{text}");

    // Without the keystore (an auditor handed the archive, naming the contract they trust):
    // still verified, content not checked. Without any trusted contract: could not check.
    let stranger = temp_dir("export-stranger");
    let (code, _, err) = run(NOWHERE, &stranger, &["verify", "--archive", a, "--rpc", &rpc]).await;
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("no trusted ConsentRegistry for chain 31337") && err.contains("pramana trust add"), "{err}");
    let (code, v, err) =
        run(NOWHERE, &stranger, &["verify", "--archive", a, "--rpc", &rpc, "--contract", &contract]).await;
    assert_eq!(code, 0, "{v} {err}");
    assert_eq!(v["trusted_contract"]["source"], "--contract");
    assert_eq!(v["content_checked"], false);
    assert_eq!(v["documents"][0]["content"], "not checked");

    // One byte flipped in one envelope: exit 1, naming that document.
    let flipped = files.join("flipped.tar");
    rewrite(&archive, &flipped, &format!("documents/{}.envelope", ids[1]), |b| {
        let last = b.len() - 1;
        b[last] ^= 1;
    });
    let (code, v, err) = run(NOWHERE, &home, &["verify", "--archive", flipped.to_str().unwrap(), "--rpc", &rpc]).await;
    assert_eq!(code, 1, "{err}");
    assert_eq!(v["verified"], false);
    assert!(problems(&v).contains(&format!("document {}", ids[1])), "{v}");
    assert!(!problems(&v).contains(&format!("document {}", ids[0])), "only that document: {v}");

    // A changed envelope: the payload hash in the metadata catches it without keys, decryption
    // with them; one a byte longer is not the size the manifest gives either.
    let env_path = format!("documents/{}.envelope", ids[0]);
    let forged = files.join("forged.tar");
    rewrite(&archive, &forged, &env_path, |b| {
        let last = b.len() - 1;
        b[last] ^= 1;
    });
    let f = forged.to_str().unwrap();
    let (code, v, err) =
        run(NOWHERE, &stranger, &["verify", "--archive", f, "--rpc", &rpc, "--contract", &contract]).await;
    assert_eq!(code, 1, "{err}");
    assert!(problems(&v).contains(&format!("document {}: the envelope's payload does not match", ids[0])), "{v}");
    let (code, v, err) = run(NOWHERE, &home, &["verify", "--archive", f, "--rpc", &rpc]).await;
    assert_eq!(code, 1, "{err}");
    assert!(problems(&v).contains("does not decrypt"), "{v}");
    let longer = files.join("longer.tar");
    rewrite(&archive, &longer, &env_path, |b| b.push(0));
    let (code, v, err) = run(NOWHERE, &home, &["verify", "--archive", longer.to_str().unwrap(), "--rpc", &rpc]).await;
    assert_eq!(code, 1, "{err}");
    assert!(problems(&v).contains("is not the size the manifest gives"), "{v}");
    // The envelope of another of the patient's documents under this one's name: its header is
    // not the one in the metadata.
    let other_env =
        entries(&archive).into_iter().find(|(n, _)| *n == format!("documents/{}.envelope", ids[1])).unwrap().1;
    let swapped = files.join("swapped.tar");
    rewrite(&archive, &swapped, &env_path, |b| b.clone_from(&other_env));
    let (code, v, err) = run(
        NOWHERE,
        &stranger,
        &["verify", "--archive", swapped.to_str().unwrap(), "--rpc", &rpc, "--contract", &contract],
    )
    .await;
    assert_eq!(code, 1, "{err}");
    assert!(
        problems(&v).contains(&format!("document {}: the envelope's header is not the one in the metadata", ids[0])),
        "{v}"
    );

    // An edited proof bundle: exit 1, naming that document.
    let edited = files.join("edited.tar");
    rewrite(&archive, &edited, &format!("proofs/{}.json", ids[0]), |b| {
        let mut bundle: Value = serde_json::from_slice(b).unwrap();
        bundle["merkle"]["root"] = json!(format!("0x{}", "ab".repeat(32)));
        *b = serde_json::to_vec(&bundle).unwrap();
    });
    let (code, v, err) = run(NOWHERE, &home, &["verify", "--archive", edited.to_str().unwrap(), "--rpc", &rpc]).await;
    assert_eq!(code, 1, "{err}");
    assert!(problems(&v).contains(&format!("document {}: proof", ids[0])), "{v}");

    // An edited consent (a wider scope than the patient signed): exit 1.
    let widened = files.join("widened.tar");
    rewrite(&archive, &widened, "consents.json", |b| {
        let mut list: Value = serde_json::from_slice(b).unwrap();
        list[0]["artefact"]["hi_types"] = json!(["DiagnosticReport", "Prescription"]);
        *b = serde_json::to_vec(&list).unwrap();
    });
    let (code, v, err) = run(NOWHERE, &home, &["verify", "--archive", widened.to_str().unwrap(), "--rpc", &rpc]).await;
    assert_eq!(code, 1, "{err}");
    assert!(problems(&v).contains(&format!("consent {}", consent_ids[0])), "{v}");

    // An archive that names another contract (one its maker controls): not verified, both named.
    let fake = pramana_tests::deploy_registry(&rpc).await.unwrap().to_string();
    let renamed = files.join("renamed.tar");
    rewrite(&archive, &renamed, "manifest.json", |b| {
        let mut m: Value = serde_json::from_slice(b).unwrap();
        m["chain"]["contract"] = json!(fake);
        *b = serde_json::to_vec(&m).unwrap();
    });
    let (code, v, err) = run(NOWHERE, &home, &["verify", "--archive", renamed.to_str().unwrap(), "--rpc", &rpc]).await;
    assert_eq!(code, 1, "{err}");
    assert!(
        problems(&v).contains(&format!(
            "the manifest names contract {fake}, but the contract you trust on this chain is {contract}"
        )),
        "{v}"
    );

    // Could not check: the RPC endpoint is down, or the file is not an archive.
    let (code, _, err) = run(NOWHERE, &home, &["verify", "--archive", a, "--rpc", NOWHERE]).await;
    assert_eq!(code, 2, "{err}");
    let (code, _, err) = run(NOWHERE, &home, &["verify", "--archive", late.to_str().unwrap(), "--rpc", &rpc]).await;
    assert_eq!(code, 2, "{err}");

    // Once the worker relays the revocation, the chain says revoked too.
    run_worker_until_idle(&worker, &rpc).await;
    let (code, v, err) = run(NOWHERE, &home, &["verify", "--archive", a, "--rpc", &rpc]).await;
    assert_eq!(code, 0, "{v} {err}");
    assert_eq!(v["consents"][1]["on_chain"], "revoked");

    // An archive that hides a revocation the chain knows about: exit 1.
    let hidden = files.join("hidden.tar");
    rewrite(&archive, &hidden, "consents.json", |b| {
        let mut list: Value = serde_json::from_slice(b).unwrap();
        list[1]["artefact"]["status"] = json!("GRANTED");
        list[1]["revocation"] = Value::Null;
        *b = serde_json::to_vec(&list).unwrap();
    });
    let (code, v, err) = run(NOWHERE, &home, &["verify", "--archive", hidden.to_str().unwrap(), "--rpc", &rpc]).await;
    assert_eq!(code, 1, "{err}");
    assert!(problems(&v).contains("the chain says revoked, the archive says GRANTED"), "{v}");
}

#[tokio::test]
async fn only_a_patient_exports_and_only_their_own_record() {
    let app = pramana_tests::spawn_app().await;
    let (hospital, _) = app.new_hospital("IN2710000009").await;
    assert_error(app.get("/v1/patients/me/export", Some(&hospital)).await, 403, "forbidden").await;
    let admin = app.admin_token().await;
    let auditor = app.new_auditor("auditor").await;
    assert_error(app.get("/v1/patients/me/export", Some(&auditor)).await, 403, "forbidden").await;
    assert_error(app.get("/v1/patients/me/export", Some(&admin)).await, 403, "forbidden").await;
    assert_error(app.get("/v1/patients/me/export", None).await, 401, "unauthorized").await;

    let openapi: Value = app.get("/openapi.json", None).await.json().await.unwrap();
    assert!(openapi["paths"]["/v1/patients/me/export"]["get"].is_object(), "documented");

    // A patient with nothing yet gets a valid, empty archive.
    let patient = app.new_patient().await;
    let r = app.get("/v1/patients/me/export", Some(&patient.access)).await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "application/x-tar");
    let bytes = r.bytes().await.unwrap();
    let dir = temp_dir("export-empty");
    let file = dir.join("empty.tar");
    std::fs::write(&file, &bytes).unwrap();
    let files = entries(&file);
    let manifest: Value = serde_json::from_slice(&files[0].1).unwrap();
    assert_eq!(manifest["patient"]["id"], patient.id);
    assert_eq!(manifest["documents"], json!([]));
    assert_eq!(serde_json::from_slice::<Value>(&files[1].1).unwrap(), json!([]));
}
