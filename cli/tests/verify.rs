//! `pramana proof`, `pramana verify` and `pramana trust`, the real binary: a hospital with the
//! file (or only its SHA-256) and the proof bundle checks it against the chain, on the contract
//! it trusts (given, or from its trust list), never the one the bundle names; exit 0 only when
//! verified.

#![allow(clippy::unwrap_used, reason = "tests fail loudly on the first surprise")]

use std::path::Path;

use alloy::network::EthereumWallet;
use alloy::primitives::B256;
use alloy::providers::{Provider as _, ProviderBuilder};
use alloy::signers::local::PrivateKeySigner;
use pramana_core::chain::ConsentRegistry;
use pramana_core::merkle::{MerkleTree, document_leaf};
use pramana_core::proof::{AnchorPoint, FORMAT, LeafInputs, MerklePath, ProofBundle, VERSION};
use pramana_tests::{ANVIL_KEY_0, register_x25519, run_worker_until_idle, spawn_platform};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

mod common;

fn pramana(home: &Path, api: &str, args: &[&str]) -> (i32, Value, String) {
    common::pramana_json(args, &[("PRAMANA_HOME", home.to_str().unwrap_or_default()), ("PRAMANA_API", api)])
}

fn temp_dir(what: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("pramana-{what}-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
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

    let dir = temp_dir("verify");
    // The patient's client keeps its session here; `pramana proof` uses it.
    std::fs::write(dir.join("session.json"), json!({"access_token": patient.access}).to_string()).unwrap();
    let file = dir.join("report.pdf");
    std::fs::write(&file, body).unwrap();
    let proof = dir.join("report.proof.json");
    let (f, pr, rpc) = (file.to_str().unwrap(), proof.to_str().unwrap(), p.anvil.url.as_str());
    let api = p.app.base.as_str();
    let contract = p.contract.to_string();

    let (code, _, err) = pramana(&dir, api, &["proof", &id.to_string(), "-o", pr]);
    assert_eq!(code, 0, "{err}");

    // From here on the platform is out of the picture: an unreachable API URL changes nothing.
    let nowhere = "http://127.0.0.1:9";
    // No trusted contract yet: could not check, and the message says how to set one.
    let (code, _, err) = pramana(&dir, nowhere, &["verify", f, "--proof", pr, "--rpc", rpc]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("no trusted ConsentRegistry for chain 31337"), "{err}");
    assert!(err.contains("--contract") && err.contains("pramana trust add --chain-id 31337 ADDRESS"), "{err}");

    // The hospital trusts the operator's published deployment once.
    let (code, v, err) = pramana(&dir, nowhere, &["trust", "add", "--chain-id", "31337", &contract]);
    assert_eq!((code, v["added"].clone()), (0, json!(true)), "{err}");
    let (code, v, err) = pramana(&dir, nowhere, &["verify", f, "--proof", pr, "--rpc", rpc]);
    assert_eq!(code, 0, "{v} {err}");
    assert_eq!(v["verified"], true);
    assert_eq!(v["document_id"], id.to_string());
    assert!(v["block_number"].as_u64().unwrap() > 0 && v["anchored_at"].is_string(), "{v}");
    assert_eq!(v["contract"], contract.as_str());
    assert_eq!(v["bundle_contract"], contract.as_str());
    assert_eq!(v["trusted_contract"], json!({"address": contract, "chain_id": 31337, "source": "trust list"}));

    let sha = hex::encode(Sha256::digest(body));
    let (code, v, _) = pramana(&dir, nowhere, &["verify", "--sha256", &sha, "--proof", pr, "--rpc", rpc]);
    assert_eq!((code, v["verified"].clone()), (0, json!(true)));

    // The trusted contract given each other way, by a verifier with no trust list.
    let bare = temp_dir("verify-bare");
    let (code, v, err) = pramana(&bare, nowhere, &["verify", f, "--proof", pr, "--rpc", rpc, "--contract", &contract]);
    assert_eq!((code, v["trusted_contract"]["source"].clone()), (0, json!("--contract")), "{v} {err}");
    let (code, v, err) = common::pramana_json(
        &["verify", f, "--proof", pr, "--rpc", rpc],
        &[("PRAMANA_HOME", bare.to_str().unwrap()), ("PRAMANA_CONTRACT", &contract)],
    );
    assert_eq!((code, v["trusted_contract"]["source"].clone()), (0, json!("PRAMANA_CONTRACT")), "{v} {err}");

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

/// The attack: anyone deploys a second ConsentRegistry (owning it, so anchoring in it), anchors
/// a forged document's leaf there, and hands over a bundle naming that contract. The bundle is
/// sound on its own terms, so a verifier that took the bundle's word would print VERIFIED; one
/// that checks against the contract it trusts says not verified and names both addresses.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bundle_naming_a_contract_of_its_own_is_not_verified() {
    let p = spawn_platform().await;
    let rpc = p.anvil.url.clone();
    let attacker: PrivateKeySigner = ANVIL_KEY_0.parse().unwrap();
    let provider =
        ProviderBuilder::new().wallet(EthereumWallet::from(attacker.clone())).connect_http(rpc.parse().unwrap());
    let fake = ConsentRegistry::deploy(&provider, attacker.address()).await.unwrap();
    fake.setAnchorer(attacker.address(), true).send().await.unwrap().get_receipt().await.unwrap();

    let forged = b"DISCHARGE SUMMARY (forged): no known allergies";
    let sha: [u8; 32] = Sha256::digest(forged).into();
    let salt = [7u8; 32];
    let leaf = document_leaf(&salt, &sha);
    let tree = MerkleTree::new(&[leaf]).unwrap();
    let receipt = fake.anchor(B256::from(tree.root()), 1).send().await.unwrap().get_receipt().await.unwrap();
    let block_number = receipt.block_number.unwrap();
    let block = provider.get_block_by_number(block_number.into()).await.unwrap().unwrap();
    let bundle = ProofBundle {
        format: FORMAT.to_owned(),
        version: VERSION,
        document_id: uuid::Uuid::new_v4().to_string(),
        leaf: LeafInputs { sha256: sha, salt, leaf },
        merkle: MerklePath { root: tree.root(), leaf_index: 0, leaf_count: 1, proof: tree.proof(0).unwrap() },
        anchor: AnchorPoint {
            chain_id: 31337,
            contract: fake.address().to_checksum(None),
            tx_hash: receipt.transaction_hash.0,
            block_number,
            block_hash: block.header.hash.0,
            block_timestamp: block.header.timestamp,
        },
    };
    let dir = temp_dir("verify-attack");
    let file = dir.join("summary.txt");
    std::fs::write(&file, forged).unwrap();
    let proof = dir.join("summary.proof.json");
    std::fs::write(&proof, serde_json::to_string(&bundle).unwrap()).unwrap();
    let (f, pr) = (file.to_str().unwrap().to_owned(), proof.to_str().unwrap().to_owned());
    let (fake, real) = (fake.address().to_string(), p.contract.to_string());

    let (home, rpc2) = (dir.clone(), rpc.clone());
    let (real2, fake2) = (real.clone(), fake.clone());
    let results = tokio::task::spawn_blocking(move || {
        let nowhere = "http://127.0.0.1:9";
        let args = ["verify", f.as_str(), "--proof", pr.as_str(), "--rpc", rpc2.as_str()];
        // On its own terms (checked against the contract it names) the bundle holds.
        let own = pramana(&home, nowhere, &[&args[..], &["--contract", fake2.as_str()][..]].concat());
        // Against the operator's deployment: from the trust list, or given.
        let added = pramana(&home, nowhere, &["trust", "add", "--chain-id", "31337", &real2]);
        let listed = pramana(&home, nowhere, &args);
        let given = pramana(
            &temp_dir("verify-attack-bare"),
            nowhere,
            &[&args[..], &["--contract", real2.as_str()][..]].concat(),
        );
        (own, added, listed, given)
    })
    .await
    .unwrap();
    let (own, added, listed, given) = results;
    assert_eq!((own.0, own.1["verified"].clone()), (0, json!(true)), "{own:?}");
    assert_eq!(added.0, 0, "{added:?}");
    let expected = format!("the bundle names contract {fake}, but the contract you trust on this chain is {real}");
    for (code, v, err) in [listed, given] {
        assert_eq!(code, 1, "{v} {err}");
        assert_eq!(v["verified"], false);
        assert_eq!(v["problems"], json!([expected]), "{v}");
        assert_eq!((v["contract"].clone(), v["bundle_contract"].clone()), (json!(real), json!(fake)));
    }
}

/// `pramana trust add | list | remove`: one contract per chain, kept in PRAMANA_HOME.
#[test]
fn the_trust_list_is_added_to_listed_and_removed_from() {
    let home = temp_dir("trust");
    let nowhere = "http://127.0.0.1:9";
    let a = "0x5FbDB2315678afecb367f032d93F642f64180aa3";
    let b = "0xa460FC9fee404671be62c835d1aa4384EA9Dfc9A";
    let (code, v, _) = pramana(&home, nowhere, &["trust", "list"]);
    assert_eq!((code, v), (0, json!({"contracts": []})));

    let (code, v, err) = pramana(&home, nowhere, &["trust", "add", "--chain-id", "31337", &a.to_lowercase()]);
    assert_eq!(code, 0, "{err}");
    assert_eq!((v["added"].clone(), v["trusted"]["address"].clone()), (json!(true), json!(a)), "stored EIP-55");
    let (code, v, _) = pramana(&home, nowhere, &["trust", "add", "--chain-id", "31337", a]);
    assert_eq!((code, v["added"].clone()), (0, json!(false)), "the same again changes nothing");
    // A deployment record as the operator publishes it (`deployments/<chain id>.json`).
    let record = home.join("11155111.json");
    std::fs::write(&record, json!({"chain_id": 11155111, "address": b, "deploy_block": 1}).to_string()).unwrap();
    let (code, _, err) = pramana(&home, nowhere, &["trust", "add", "--deployment", record.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    let (code, v, _) = pramana(&home, nowhere, &["trust", "list"]);
    assert_eq!(code, 0);
    let listed: Vec<(Value, Value)> =
        v["contracts"].as_array().unwrap().iter().map(|c| (c["chain_id"].clone(), c["address"].clone())).collect();
    assert_eq!(listed, [(json!(31337), json!(a)), (json!(11155111), json!(b))]);

    // Refused, and nothing changed: another address for a chain that has one, bad input.
    let (code, _, err) = pramana(&home, nowhere, &["trust", "add", "--chain-id", "31337", b]);
    assert_eq!(code, 2);
    assert!(err.contains(&format!("chain 31337 already trusts {a}")) && err.contains("pramana trust remove"), "{err}");
    let (code, _, err) = pramana(&home, nowhere, &["trust", "add", "--chain-id", "31337", "0x12"]);
    assert_eq!(code, 2);
    assert!(err.contains("not an address"), "{err}");
    let (code, _, _) = pramana(&home, nowhere, &["trust", "add", a]);
    assert_eq!(code, 2, "--chain-id is required");
    let (code, v, _) = pramana(&home, nowhere, &["trust", "list"]);
    assert_eq!((code, v["contracts"].as_array().unwrap().len()), (0, 2));

    let (code, v, err) = pramana(&home, nowhere, &["trust", "remove", "--chain-id", "31337"]);
    assert_eq!((code, v["removed"]["address"].clone()), (0, json!(a)), "{err}");
    let (code, _, err) = pramana(&home, nowhere, &["trust", "remove", "--chain-id", "31337"]);
    assert_eq!(code, 2);
    assert!(err.contains("no trusted contract for chain 31337"), "{err}");
    let (code, v, _) = pramana(&home, nowhere, &["trust", "list"]);
    assert_eq!((code, v["contracts"][0]["chain_id"].clone()), (0, json!(11155111)));
}
