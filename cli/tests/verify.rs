//! `pramana proof` and `pramana verify`, the real binary: a hospital with the file (or only its
//! SHA-256) and the proof bundle checks it against the chain; exit 0 only when verified.

#![allow(clippy::unwrap_used, reason = "tests fail loudly on the first surprise")]

use std::path::Path;

use pramana_tests::{register_x25519, run_worker_until_idle, spawn_platform};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

mod common;

fn pramana(home: &Path, api: &str, args: &[&str]) -> (i32, Value, String) {
    common::pramana_json(args, &[("PRAMANA_HOME", home.to_str().unwrap_or_default()), ("PRAMANA_API", api)])
}

// Multi-threaded: the binary runs synchronously while the in-process API answers it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn verify_checks_a_file_or_a_hash_against_the_chain_only() {
    let p = spawn_platform().await;
    let patient = p.app.new_patient().await;
    let key = register_x25519(&p.app, &patient.access).await;
    let docs = p.upload_many(&patient, &key, 3, 3).await;
    let worker = p.worker(json!({})).await;
    run_worker_until_idle(&worker, &p.anvil.url).await;
    let (id, body) = &docs[1];

    let dir = std::env::temp_dir().join(format!("pramana-verify-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    // The patient's client keeps its session here; `pramana proof` uses it.
    std::fs::write(dir.join("session.json"), json!({"access_token": patient.access}).to_string()).unwrap();
    let file = dir.join("report.pdf");
    std::fs::write(&file, body).unwrap();
    let proof = dir.join("report.proof.json");
    let (f, pr, rpc) = (file.to_str().unwrap(), proof.to_str().unwrap(), p.anvil.url.as_str());
    let api = p.app.base.as_str();

    let (code, _, err) = pramana(&dir, api, &["proof", &id.to_string(), "-o", pr]);
    assert_eq!(code, 0, "{err}");

    // From here on the platform is out of the picture: an unreachable API URL changes nothing.
    let nowhere = "http://127.0.0.1:9";
    let (code, v, err) = pramana(&dir, nowhere, &["verify", f, "--proof", pr, "--rpc", rpc]);
    assert_eq!(code, 0, "{v} {err}");
    assert_eq!(v["verified"], true);
    assert_eq!(v["document_id"], id.to_string());
    assert!(v["block_number"].as_u64().unwrap() > 0 && v["anchored_at"].is_string(), "{v}");

    let sha = hex::encode(Sha256::digest(body));
    let (code, v, _) = pramana(&dir, nowhere, &["verify", "--sha256", &sha, "--proof", pr, "--rpc", rpc]);
    assert_eq!((code, v["verified"].clone()), (0, json!(true)));

    // A changed document: exit 1, with the reason.
    let tampered = dir.join("tampered.pdf");
    let mut changed = body.clone();
    changed[0] ^= 1;
    std::fs::write(&tampered, &changed).unwrap();
    let (code, v, _) = pramana(&dir, nowhere, &["verify", tampered.to_str().unwrap(), "--proof", pr, "--rpc", rpc]);
    assert_eq!(code, 1);
    assert_eq!(v["verified"], false);
    assert!(v["problems"][0].as_str().unwrap().contains("SHA-256"), "{v}");

    // A contract the verifier trusts that never saw the root: exit 1.
    let other = pramana_tests::deploy_registry(rpc).await.unwrap().to_string();
    let (code, v, _) = pramana(&dir, nowhere, &["verify", f, "--proof", pr, "--rpc", rpc, "--contract", &other]);
    assert_eq!((code, v["verified"].clone()), (1, json!(false)));

    // A bundle with a changed path: exit 1. Not a bundle, or no chain: exit 2.
    let mut bundle: Value = serde_json::from_str(&std::fs::read_to_string(&proof).unwrap()).unwrap();
    bundle["merkle"]["root"] = json!(format!("0x{}", "ab".repeat(32)));
    let forged = dir.join("forged.json");
    std::fs::write(&forged, bundle.to_string()).unwrap();
    let (code, _, _) = pramana(&dir, nowhere, &["verify", f, "--proof", forged.to_str().unwrap(), "--rpc", rpc]);
    assert_eq!(code, 1);
    let (code, _, err) = pramana(&dir, nowhere, &["verify", f, "--proof", f, "--rpc", rpc]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("not a pramana-proof"), "{err}");
    let (code, _, err) = pramana(&dir, nowhere, &["verify", f, "--proof", pr, "--rpc", nowhere]);
    assert_eq!(code, 2, "{err}");
    let (code, _, _) = pramana(&dir, nowhere, &["verify", "--proof", pr, "--rpc", rpc]);
    assert_eq!(code, 2, "a file or --sha256 is required");
}
