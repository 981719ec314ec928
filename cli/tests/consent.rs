//! `pramana consent request | list | show | deny`, the real binary against the real API: a
//! hospital asks, the patient sees and refuses.

#![allow(clippy::unwrap_used, reason = "tests fail loudly on the first surprise")]

use pramana_tests::spawn_app;
use serde_json::{Value, json};

mod common;

/// A home with a session for `token`, as `pramana login` leaves it.
fn home_with(token: &str) -> std::path::PathBuf {
    let home = std::env::temp_dir().join(format!("pramana-consent-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&home).unwrap();
    std::fs::write(home.join("session.json"), json!({"access_token": token}).to_string()).unwrap();
    home
}

async fn run(api: &str, home: &std::path::Path, args: &[&str]) -> (i32, Value, String) {
    let (api, home) = (api.to_owned(), home.to_str().unwrap().to_owned());
    let args: Vec<String> = args.iter().map(|a| (*a).to_owned()).collect();
    tokio::task::spawn_blocking(move || {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        common::pramana_json(&args, &[("PRAMANA_API", &api), ("PRAMANA_HOME", &home)])
    })
    .await
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hospital_asks_and_the_patient_refuses_from_the_cli() {
    let app = spawn_app().await;
    let patient = app.new_patient().await;
    let (hospital, _) = app.new_hospital("IN2710000001").await;
    let (hosp_home, patient_home) = (home_with(&hospital), home_with(&patient.access));
    let api = app.base.as_str();

    let abha = patient.abha.hyphenated();
    let args = [
        "consent",
        "request",
        "--patient",
        &abha,
        "--types",
        "DiagnosticReport,Prescription",
        "--from",
        "2025-01-01",
        "--to",
        "2025-12-31",
    ];
    let (code, c, err) = run(api, &hosp_home, &args).await;
    assert_eq!(code, 0, "{err}");
    assert_eq!(c["status"], "REQUESTED");
    let id = c["id"].as_str().unwrap().to_owned();

    let (code, list, _) = run(api, &patient_home, &["consent", "list"]).await;
    assert_eq!(code, 0);
    assert_eq!(list[0]["id"], id);
    let (code, shown, _) = run(api, &patient_home, &["consent", "show", &id]).await;
    assert_eq!((code, shown["hi_types"].clone()), (0, json!(["Prescription", "DiagnosticReport"])));

    let (code, _, err) = run(api, &hosp_home, &["consent", "deny", &id]).await;
    assert_eq!(code, 2, "a hospital cannot deny");
    assert!(err.contains("forbidden"), "{err}");
    let (code, denied, _) = run(api, &patient_home, &["consent", "deny", &id]).await;
    assert_eq!((code, denied["status"].clone()), (0, json!("DENIED")));

    let (code, _, err) = run(
        api,
        &hosp_home,
        &[
            "consent",
            "request",
            "--patient",
            "12",
            "--types",
            "DiagnosticReport",
            "--from",
            "2025-01-01",
            "--to",
            "2025-12-31",
        ],
    )
    .await;
    assert_eq!(code, 2);
    assert!(err.contains("invalid_patient_abha_number"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_patient_approves_from_the_cli_and_the_hospital_decrypts() {
    // Signing reads the patient's contract nonce through the platform's public RPC endpoint.
    let platform = pramana_tests::spawn_platform().await;
    let app = &platform.app;
    let api = app.base.clone();
    let home = std::env::temp_dir().join(format!("pramana-approve-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&home).unwrap();
    let h = home.to_str().unwrap().to_owned();
    let patient = |args: Vec<String>| {
        let (api, h) = (api.clone(), h.clone());
        tokio::task::spawn_blocking(move || {
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            common::pramana_json(
                &args,
                &[
                    ("PRAMANA_API", &api),
                    ("PRAMANA_HOME", &h),
                    ("PRAMANA_PASSPHRASE", "a passphrase"),
                    ("PRAMANA_PASSWORD", "a long enough password"),
                ],
            )
        })
    };
    let s = |v: &[&str]| v.iter().map(|x| (*x).to_owned()).collect::<Vec<_>>();
    let abha = pramana_tests::random_abha();
    assert_eq!(patient(s(&["identity", "create"])).await.unwrap().0, 0);
    assert_eq!(patient(s(&["register", "--abha", &abha.hyphenated(), "--name", "Asha"])).await.unwrap().0, 0);
    assert_eq!(patient(s(&["login", "--login", abha.as_digits()])).await.unwrap().0, 0);
    let (code, shown, err) = patient(s(&["abha", "code"])).await.unwrap();
    assert_eq!(code, 0, "{err}");
    app.desk_verify(&abha, shown["code"].as_str().unwrap()).await;
    let file = home.join("report.txt");
    std::fs::write(&file, b"haemoglobin 13.5 g/dL").unwrap();
    let (code, doc, err) =
        patient(s(&["upload", file.to_str().unwrap(), "--type", "DiagnosticReport", "--date", "2025-06-01"]))
            .await
            .unwrap();
    assert_eq!(code, 0, "{err}");
    let doc_id: uuid::Uuid = doc["id"].as_str().unwrap().parse().unwrap();

    let (hospital, _) = app.new_hospital("IN2710000001").await;
    let hospital_key = pramana_tests::register_x25519(app, &hospital).await;
    let r = app.post_key(&hospital, "ethereum", &format!("0x{}", "42".repeat(20))).await;
    assert_eq!(r.status(), 201);
    let now = chrono::Utc::now();
    let body = json!({
        "patient_abha_number": abha.as_digits(), "purpose": "CAREMGT", "hi_types": ["DiagnosticReport", "Prescription"],
        "access_mode": "VIEW", "date_range": {"from": "2025-01-01", "to": "2025-12-31"},
        "data_erase_at": (now + chrono::Duration::days(30)).to_rfc3339(),
        "frequency": {"unit": "DAY", "value": 1, "repeats": 0},
        "expires_at": (now + chrono::Duration::days(2)).to_rfc3339(),
    });
    let c: Value = app.post("/v1/consents", Some(&hospital), &body).await.json().await.unwrap();
    let id = c["id"].as_str().unwrap().to_owned();

    // Narrowed on the patient's machine: never wider than asked.
    let (code, _, err) = patient(s(&["consent", "approve", &id, "--types", "WellnessRecord"])).await.unwrap();
    assert_eq!(code, 2);
    assert!(err.contains("subset of the requested HI types"), "{err}");
    let (code, granted, err) =
        patient(s(&["consent", "approve", &id, "--types", "DiagnosticReport", "--from", "2025-03-01", "--days", "10"]))
            .await
            .unwrap();
    assert_eq!(code, 0, "{err}");
    assert_eq!(granted["status"], "GRANTED");
    assert_eq!(granted["hi_types"], json!(["DiagnosticReport"]));
    assert_eq!(granted["date_range"]["from"], "2025-03-01");
    let erase: chrono::DateTime<chrono::Utc> = granted["data_erase_at"].as_str().unwrap().parse().unwrap();
    assert!(erase < chrono::Utc::now() + chrono::Duration::days(11));
    // Nothing failed on chain, so there is nothing to sign again.
    let (code, _, err) = patient(s(&["consent", "resign", &id])).await.unwrap();
    assert_ne!(code, 0);
    assert!(err.contains("nothing to sign again"), "{err}");
    // The nonce is read from the chain, never guessed: an unreachable endpoint is an error.
    let (code, _, err) = patient(s(&["consent", "revoke", &id, "--rpc", "http://127.0.0.1:9"])).await.unwrap();
    assert_ne!(code, 0);
    assert!(err.contains("cannot reach the RPC endpoint"), "{err}");

    // The hospital opens the document with its own key.
    let r = app.get(&format!("/v1/documents/{doc_id}/content"), Some(&hospital)).await;
    assert_eq!(r.status(), 200);
    let envelope = r.bytes().await.unwrap();
    let mut plain = Vec::new();
    pramana_core::envelope::open(doc_id.as_bytes(), &hospital_key, &envelope[..], &mut plain).unwrap();
    assert_eq!(plain, b"haemoglobin 13.5 g/dL");

    // A document uploaded later, inside the granted scope, is sealed to the hospital too; one
    // outside it (before --from) is not.
    let mut later = Vec::new();
    for (name, date) in [("later.txt", "2025-08-01"), ("earlier.txt", "2025-02-01")] {
        let file = home.join(name);
        std::fs::write(&file, format!("ferritin {date}")).unwrap();
        let (code, doc, err) =
            patient(s(&["upload", file.to_str().unwrap(), "--type", "DiagnosticReport", "--date", date]))
                .await
                .unwrap();
        assert_eq!(code, 0, "{err}");
        later.push(doc["id"].as_str().unwrap().parse::<uuid::Uuid>().unwrap());
    }
    let r = app.get(&format!("/v1/documents/{}/content", later[0]), Some(&hospital)).await;
    assert_eq!(r.status(), 200);
    let envelope = r.bytes().await.unwrap();
    let mut plain = Vec::new();
    pramana_core::envelope::open(later[0].as_bytes(), &hospital_key, &envelope[..], &mut plain).unwrap();
    assert_eq!(plain, b"ferritin 2025-08-01");
    assert_eq!(app.get(&format!("/v1/documents/{}", later[1]), Some(&hospital)).await.status(), 404);
    let stanzas = |doc: uuid::Uuid| {
        let pool = app.pool.clone();
        async move {
            let header: Vec<u8> = sqlx::query_scalar("SELECT header FROM documents WHERE id = $1")
                .bind(doc)
                .fetch_one(&pool)
                .await
                .unwrap();
            pramana_core::envelope::Header::parse(&header).unwrap().0.stanzas
        }
    };
    assert_eq!(stanzas(later[1]).await.len(), 1, "out of scope: not shared");

    // A server that lies cannot add recipients. It widens the patient's grant to prescriptions:
    // a new prescription is not sealed to the hospital, since the patient never signed that scope.
    let widen = |types: &'static [&'static str]| {
        let (pool, id) = (app.pool.clone(), id.clone());
        async move {
            sqlx::query("UPDATE consents SET hi_types = $2 WHERE id = $1::uuid")
                .bind(&id)
                .bind(types)
                .execute(&pool)
                .await
                .unwrap();
        }
    };
    widen(&["DiagnosticReport", "Prescription"]).await;
    let file = home.join("rx.txt");
    std::fs::write(&file, b"metformin 500 mg").unwrap();
    let (code, rx, err) =
        patient(s(&["upload", file.to_str().unwrap(), "--type", "Prescription", "--date", "2025-08-01"]))
            .await
            .unwrap();
    assert_eq!(code, 0, "{err}");
    assert!(err.contains(&format!("not sealed to the hospital of consent {id}")), "{err}");
    assert_eq!(stanzas(rx["id"].as_str().unwrap().parse().unwrap()).await.len(), 1, "sealed to the patient alone");
    widen(&["DiagnosticReport"]).await;
    // It lists a grant to another hospital that the patient never made, carrying the real
    // grant's signature: the real grant's hospital gets the document, the made-up one does not.
    let (intruder, _) = app.new_hospital("IN2710000002").await;
    let intruder_key = pramana_tests::register_x25519(app, &intruder).await;
    assert_eq!(app.post_key(&intruder, "ethereum", &format!("0x{}", "66".repeat(20))).await.status(), 201);
    let forged: Value = app.post("/v1/consents", Some(&intruder), &body).await.json().await.unwrap();
    sqlx::query(
        "UPDATE consents f SET status = 'GRANTED', decided_at = now(), hi_types = g.hi_types, date_from = g.date_from,
                date_to = g.date_to, data_erase_at = g.data_erase_at, patient_address = g.patient_address,
                grantee_address = decode(repeat('66', 20), 'hex'), valid_from = g.valid_from,
                grant_nonce = g.grant_nonce, grant_deadline = g.grant_deadline, grant_signature = g.grant_signature
           FROM consents g WHERE f.id = $1::uuid AND g.id = $2::uuid",
    )
    .bind(forged["id"].as_str().unwrap())
    .bind(&id)
    .execute(&app.pool)
    .await
    .unwrap();
    let file = home.join("forged.txt");
    std::fs::write(&file, b"ferritin again").unwrap();
    let (code, doc, err) =
        patient(s(&["upload", file.to_str().unwrap(), "--type", "DiagnosticReport", "--date", "2025-08-02"]))
            .await
            .unwrap();
    assert_eq!(code, 0, "{err}");
    assert!(
        err.contains(&format!("not sealed to the hospital of consent {}", forged["id"].as_str().unwrap())),
        "{err}"
    );
    let kids: Vec<_> =
        stanzas(doc["id"].as_str().unwrap().parse().unwrap()).await.into_iter().map(|st| st.key_id).collect();
    assert_eq!(kids.len(), 2, "the patient and the hospital really granted");
    assert!(kids.contains(&hospital_key.recipient().key_id()));
    assert!(!kids.contains(&intruder_key.recipient().key_id()), "never the made-up grantee");

    // Revoked from the CLI: the hospital's access ends at once.
    let (code, revoked, err) = patient(s(&["consent", "revoke", &id])).await.unwrap();
    assert_eq!(code, 0, "{err}");
    assert_eq!(revoked["status"], "REVOKED");
    assert_eq!(app.get(&format!("/v1/documents/{doc_id}/content"), Some(&hospital)).await.status(), 404);
    // ...and the patient's device took the hospital's wrapped key out of the stored header.
    for doc in [doc_id, later[0]] {
        let left = stanzas(doc).await;
        assert_eq!(left.len(), 1, "the patient's own stanza stays");
        assert_ne!(left[0].key_id, hospital_key.recipient().key_id());
    }
    let (code, _, err) =
        patient(s(&["download", &doc_id.to_string(), "-o", home.join("back.txt").to_str().unwrap()])).await.unwrap();
    assert_eq!(code, 0, "{err}");
    assert_eq!(std::fs::read(home.join("back.txt")).unwrap(), b"haemoglobin 13.5 g/dL", "still the patient's");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_patient_with_a_new_keystore_rotates_and_revokes_from_the_cli() {
    let platform = pramana_tests::spawn_platform().await;
    let app = &platform.app;
    let api = app.base.clone();
    let homes: Vec<String> = (0..2)
        .map(|_| {
            let home = std::env::temp_dir().join(format!("pramana-rotate-{}", uuid::Uuid::new_v4()));
            std::fs::create_dir_all(&home).unwrap();
            home.to_str().unwrap().to_owned()
        })
        .collect();
    let cli = |home: usize, args: &[&str]| {
        let (api, h) = (api.clone(), homes[home].clone());
        let args: Vec<String> = args.iter().map(|a| (*a).to_owned()).collect();
        tokio::task::spawn_blocking(move || {
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            common::pramana_json(
                &args,
                &[
                    ("PRAMANA_API", &api),
                    ("PRAMANA_HOME", &h),
                    ("PRAMANA_PASSPHRASE", "a passphrase"),
                    ("PRAMANA_OLD_PASSPHRASE", "a passphrase"),
                    ("PRAMANA_PASSWORD", "a long enough password"),
                ],
            )
        })
    };
    let (old, new) = (0, 1);
    let abha = pramana_tests::random_abha();
    assert_eq!(cli(old, &["identity", "create"]).await.unwrap().0, 0);
    assert_eq!(cli(new, &["identity", "create"]).await.unwrap().0, 0);
    assert_eq!(cli(old, &["register", "--abha", &abha.hyphenated(), "--name", "Asha"]).await.unwrap().0, 0);
    assert_eq!(cli(old, &["login", "--login", abha.as_digits()]).await.unwrap().0, 0);
    let (code, shown, err) = cli(old, &["abha", "code"]).await.unwrap();
    assert_eq!(code, 0, "{err}");
    app.desk_verify(&abha, shown["code"].as_str().unwrap()).await;
    let address = |home: usize| -> String {
        let file: Value =
            serde_json::from_str(&std::fs::read_to_string(format!("{}/identity.json", homes[home])).unwrap()).unwrap();
        file["eth_address"].as_str().unwrap().to_owned()
    };
    let account = address(old);

    let (hospital, _) = app.new_hospital("IN2710000001").await;
    let hospital_key = pramana_tests::register_x25519(app, &hospital).await;
    assert_eq!(app.post_key(&hospital, "ethereum", &format!("0x{}", "42".repeat(20))).await.status(), 201);
    let c: Value = app
        .post("/v1/consents", Some(&hospital), &pramana_tests::consent::request(abha.as_digits()))
        .await
        .json()
        .await
        .unwrap();
    let id = c["id"].as_str().unwrap().to_owned();
    let (code, granted, err) = cli(old, &["consent", "approve", &id]).await.unwrap();
    assert_eq!((code, granted["status"].as_str()), (0, Some("GRANTED")), "{err}");

    // Logging in with another keystore keeps the account's signing key; the rotation hands it on.
    let (code, _, err) = cli(new, &["login", "--login", abha.as_digits()]).await.unwrap();
    assert_eq!(code, 0, "{err}");
    let (code, _, err) = cli(new, &["consent", "revoke", &id]).await.unwrap();
    assert_ne!(code, 0, "the new key does not sign for the account yet");
    assert!(err.contains("invalid_signature"), "{err}");
    let (code, _, err) =
        cli(new, &["identity", "rotate", "--old-keystore", &format!("{}/identity.json", homes[new])]).await.unwrap();
    assert_ne!(code, 0, "the old keystore must hold the active key");
    assert!(err.contains("not the account's signing key"), "{err}");
    let (code, key, err) =
        cli(new, &["identity", "rotate", "--old-keystore", &format!("{}/identity.json", homes[old])]).await.unwrap();
    assert_eq!(code, 0, "{err}");
    assert_eq!(key["public_key"].as_str().unwrap(), address(new));

    // The old keystore no longer signs for the account; the new one does, under the account.
    let (code, _, err) = cli(old, &["consent", "revoke", &id]).await.unwrap();
    assert_ne!(code, 0);
    assert!(err.contains("invalid_signature"), "{err}");
    // The new keystore remembers the key before it: a document added inside the grant the old
    // key signed is still sealed to the hospital.
    let file = format!("{}/report.txt", homes[new]);
    std::fs::write(&file, b"haemoglobin 12.9 g/dL").unwrap();
    let (code, doc, err) =
        cli(new, &["upload", &file, "--type", "DiagnosticReport", "--date", "2025-06-01"]).await.unwrap();
    assert_eq!(code, 0, "{err}");
    assert!(!err.contains("not sealed"), "{err}");
    let header: Vec<u8> = sqlx::query_scalar("SELECT header FROM documents WHERE id = $1::uuid")
        .bind(doc["id"].as_str().unwrap())
        .fetch_one(&app.pool)
        .await
        .unwrap();
    let stanzas = pramana_core::envelope::Header::parse(&header).unwrap().0.stanzas;
    assert!(stanzas.iter().any(|st| st.key_id == hospital_key.recipient().key_id()), "shared as granted");
    let (code, revoked, err) = cli(new, &["consent", "revoke", &id]).await.unwrap();
    assert_eq!((code, revoked["status"].as_str()), (0, Some("REVOKED")), "{err}");
    assert_eq!(revoked["patient_address"].as_str().unwrap().to_lowercase(), account.to_lowercase());

    // On chain: the grant, the rotation, then the revocation, all under the account.
    let worker = platform.worker(json!({})).await;
    pramana_tests::run_worker_until_idle(&worker, &platform.anvil.url).await;
    let provider = alloy::providers::RootProvider::new_http(platform.anvil.url.parse().unwrap());
    let chain_id: alloy::primitives::B256 = c["chain_consent_id"].as_str().unwrap().parse().unwrap();
    let status =
        pramana_core::chain::history::consent_status(&provider, platform.contract, account.parse().unwrap(), chain_id)
            .await
            .unwrap();
    assert_eq!(status, pramana_core::chain::history::ChainStatus::Revoked);

    // The export carries the rotation, so the archive's revocation (signed by the new key) checks
    // offline, and the chain agrees.
    let archive = format!("{}/export.tar", homes[new]);
    let (code, _, err) = cli(new, &["export", "-o", &archive]).await.unwrap();
    assert_eq!(code, 0, "{err}");
    let contract = platform.contract.to_checksum(None);
    let (code, v, err) =
        cli(new, &["verify", "--archive", &archive, "--rpc", &platform.anvil.url, "--contract", &contract])
            .await
            .unwrap();
    assert_eq!(code, 0, "{v} {err}");
    assert_eq!((&v["verified"], &v["consents"][0]["on_chain"]), (&json!(true), &json!("revoked")), "{v}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_patient_grants_a_large_record_in_pages_resumes_and_revokes_from_the_cli() {
    use pramana_core::envelope::{Header, Identity, Recipient, os_rng};
    use pramana_tests::seed::Holder;

    let platform = pramana_tests::spawn_platform().await;
    let app = &platform.app;
    let api = app.base.clone();
    let home = std::env::temp_dir().join(format!("pramana-pages-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&home).unwrap();
    let h = home.to_str().unwrap().to_owned();
    let patient = |args: Vec<String>| {
        let (api, h) = (api.clone(), h.clone());
        tokio::task::spawn_blocking(move || {
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            common::pramana_json(
                &args,
                &[
                    ("PRAMANA_API", &api),
                    ("PRAMANA_HOME", &h),
                    ("PRAMANA_PASSPHRASE", "a passphrase"),
                    ("PRAMANA_PASSWORD", "a long enough password"),
                ],
            )
        })
    };
    let s = |v: &[&str]| v.iter().map(|x| (*x).to_owned()).collect::<Vec<_>>();
    let abha = pramana_tests::random_abha();
    assert_eq!(patient(s(&["identity", "create"])).await.unwrap().0, 0);
    assert_eq!(patient(s(&["register", "--abha", &abha.hyphenated(), "--name", "Asha"])).await.unwrap().0, 0);
    assert_eq!(patient(s(&["login", "--login", abha.as_digits()])).await.unwrap().0, 0);
    let (code, shown, err) = patient(s(&["abha", "code"])).await.unwrap();
    assert_eq!(code, 0, "{err}");
    app.desk_verify(&abha, shown["code"].as_str().unwrap()).await;
    let keystore: Value = serde_json::from_str(&std::fs::read_to_string(home.join("identity.json")).unwrap()).unwrap();
    let mut pk = [0u8; 32];
    hex::decode_to_slice(keystore["x25519_public"].as_str().unwrap(), &mut pk).unwrap();
    let patient_id: uuid::Uuid = sqlx::query_scalar("SELECT id FROM patients WHERE abha_number = $1")
        .bind(abha.as_digits())
        .fetch_one(&app.pool)
        .await
        .unwrap();
    let me = Holder { key: Recipient(pk), role: "patient", id: patient_id };
    let date = chrono::NaiveDate::from_ymd_opt(2025, 6, 1).unwrap();
    // More than one request's worth (150 used to be the ceiling), and one sealed to an older key.
    let docs = app.seed_documents(patient_id, ("patient", patient_id), &[me], "DiagnosticReport", date, 420).await;
    let old_key = Holder { key: Identity::generate(&mut os_rng()).recipient(), ..me };
    let old = app.seed_documents(patient_id, ("patient", patient_id), &[old_key], "DiagnosticReport", date, 1).await;

    let (hospital, _) = app.new_hospital("IN2710000001").await;
    let hospital_key = pramana_tests::register_x25519(app, &hospital).await;
    assert_eq!(app.post_key(&hospital, "ethereum", &format!("0x{}", "42".repeat(20))).await.status(), 201);
    let c: Value = app
        .post("/v1/consents", Some(&hospital), &pramana_tests::consent::request(abha.as_digits()))
        .await
        .json()
        .await
        .unwrap();
    let id = c["id"].as_str().unwrap().to_owned();
    let hospital_kid = hospital_key.recipient().key_id();
    let holding = |ids: Vec<uuid::Uuid>| {
        let pool = app.pool.clone();
        async move {
            let headers: Vec<Vec<u8>> = sqlx::query_scalar("SELECT header FROM documents WHERE id = ANY($1)")
                .bind(&ids)
                .fetch_all(&pool)
                .await
                .unwrap();
            headers.iter().filter(|h| Header::parse(h).unwrap().0.stanza(&hospital_kid).is_some()).count()
        }
    };

    // A header whose MAC is broken (the server cannot tell): this device will not build on it.
    let broken = docs[17];
    sqlx::query(
        "UPDATE documents SET header = set_byte(header, length(header) - 1, (get_byte(header, length(header) - 1) + 1) % 256)
          WHERE id = $1",
    )
        .bind(broken)
        .execute(&app.pool)
        .await
        .unwrap();

    let (code, granted, err) = patient(s(&["consent", "approve", &id])).await.unwrap();
    assert_eq!((code, granted["status"].as_str()), (0, Some("GRANTED")), "{err}");
    assert_eq!(holding(docs.clone()).await, 419, "every document in scope but the broken one, over several pages");
    assert!(err.contains("2 document(s) could not be opened"), "{err}");
    assert!(err.contains(&old[0].to_string()), "the old-key document is named: {err}");
    assert!(err.contains(&broken.to_string()), "the broken one too: {err}");
    assert_eq!(holding(old.clone()).await + holding(vec![broken]).await, 0);

    // Stopped half-way (here: 60 more documents the grant has not reached yet): approving again
    // finishes the grant without signing anything new.
    let more = app.seed_documents(patient_id, ("patient", patient_id), &[me], "DiagnosticReport", date, 60).await;
    let relayed: i64 =
        sqlx::query_scalar("SELECT count(*) FROM consent_chain_events").fetch_one(&app.pool).await.unwrap();
    let (code, again, err) = patient(s(&["consent", "approve", &id])).await.unwrap();
    assert_eq!((code, again["status"].as_str()), (0, Some("GRANTED")), "{err}");
    assert_eq!(holding(more).await, 60);
    let relayed_after: i64 =
        sqlx::query_scalar("SELECT count(*) FROM consent_chain_events").fetch_one(&app.pool).await.unwrap();
    assert_eq!(relayed_after, relayed, "no second grant");

    // A server that lies cannot get the record opened to a hospital the patient never granted:
    // it lists another hospital's request as GRANTED, with the real grant's signature.
    let (intruder, _) = app.new_hospital("IN2710000002").await;
    let intruder_key = pramana_tests::register_x25519(app, &intruder).await;
    assert_eq!(app.post_key(&intruder, "ethereum", &format!("0x{}", "66".repeat(20))).await.status(), 201);
    let forged: Value = app
        .post("/v1/consents", Some(&intruder), &pramana_tests::consent::request(abha.as_digits()))
        .await
        .json()
        .await
        .unwrap();
    sqlx::query(
        "UPDATE consents f SET status = 'GRANTED', decided_at = now(), hi_types = g.hi_types, date_from = g.date_from,
                date_to = g.date_to, data_erase_at = g.data_erase_at, patient_address = g.patient_address,
                grantee_address = decode(repeat('66', 20), 'hex'), valid_from = g.valid_from,
                grant_nonce = g.grant_nonce, grant_deadline = g.grant_deadline, grant_signature = g.grant_signature
           FROM consents g WHERE f.id = $1::uuid AND g.id = $2::uuid",
    )
    .bind(forged["id"].as_str().unwrap())
    .bind(&id)
    .execute(&app.pool)
    .await
    .unwrap();
    let (code, _, err) = patient(s(&["consent", "approve", forged["id"].as_str().unwrap()])).await.unwrap();
    assert_ne!(code, 0);
    assert!(err.contains("not by you"), "{err}");
    let intruders: i64 = sqlx::query_scalar("SELECT count(*) FROM document_stanzas WHERE key_id = $1")
        .bind(&intruder_key.recipient().key_id()[..])
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(intruders, 0);
    sqlx::query("UPDATE consents SET status = 'DENIED' WHERE id = $1::uuid")
        .bind(forged["id"].as_str().unwrap())
        .execute(&app.pool)
        .await
        .unwrap();

    // Revoked: access ends at once, and the hospital's stanza leaves all 480 headers, page by page.
    let (code, revoked, err) = patient(s(&["consent", "revoke", &id])).await.unwrap();
    assert_eq!((code, revoked["status"].as_str()), (0, Some("REVOKED")), "{err}");
    let all: Vec<uuid::Uuid> = sqlx::query_scalar("SELECT id FROM documents WHERE owner_patient_id = $1")
        .bind(patient_id)
        .fetch_all(&app.pool)
        .await
        .unwrap();
    assert_eq!(all.len(), 481);
    assert_eq!(holding(all).await, 0);
    // Run again, it has nothing left to do.
    let (code, _, err) = patient(s(&["consent", "revoke", &id])).await.unwrap();
    assert_eq!(code, 0, "{err}");
}

/// The benchmark of docs/benchmarks.md ("Granting a whole record"): `BENCH_DOCUMENTS` (10,000)
/// in-scope documents seeded straight into the database, then `pramana consent approve` timed
/// end to end (listing, sealing each stanza on this machine, sending pages). Not a test: run it
/// with `cargo test --release --locked -p pramana-cli --test consent -- --ignored --nocapture
/// grant_bench`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "a benchmark: minutes, and its numbers depend on the machine"]
async fn grant_bench() {
    use pramana_tests::seed::Holder;

    let n: usize = std::env::var("BENCH_DOCUMENTS").ok().and_then(|v| v.parse().ok()).unwrap_or(10_000);
    let platform = pramana_tests::spawn_platform().await;
    let app = &platform.app;
    let api = app.base.clone();
    let home = std::env::temp_dir().join(format!("pramana-bench-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&home).unwrap();
    let h = home.to_str().unwrap().to_owned();
    let patient = |args: Vec<String>| {
        let (api, h) = (api.clone(), h.clone());
        tokio::task::spawn_blocking(move || {
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            common::pramana_json(
                &args,
                &[
                    ("PRAMANA_API", &api),
                    ("PRAMANA_HOME", &h),
                    ("PRAMANA_PASSPHRASE", "a passphrase"),
                    ("PRAMANA_PASSWORD", "a long enough password"),
                ],
            )
        })
    };
    let s = |v: &[&str]| v.iter().map(|x| (*x).to_owned()).collect::<Vec<_>>();
    let abha = pramana_tests::random_abha();
    assert_eq!(patient(s(&["identity", "create"])).await.unwrap().0, 0);
    assert_eq!(patient(s(&["register", "--abha", &abha.hyphenated(), "--name", "Asha"])).await.unwrap().0, 0);
    assert_eq!(patient(s(&["login", "--login", abha.as_digits()])).await.unwrap().0, 0);
    let (code, shown, err) = patient(s(&["abha", "code"])).await.unwrap();
    assert_eq!(code, 0, "{err}");
    app.desk_verify(&abha, shown["code"].as_str().unwrap()).await;
    let keystore: Value = serde_json::from_str(&std::fs::read_to_string(home.join("identity.json")).unwrap()).unwrap();
    let mut pk = [0u8; 32];
    hex::decode_to_slice(keystore["x25519_public"].as_str().unwrap(), &mut pk).unwrap();
    let patient_id: uuid::Uuid = sqlx::query_scalar("SELECT id FROM patients WHERE abha_number = $1")
        .bind(abha.as_digits())
        .fetch_one(&app.pool)
        .await
        .unwrap();
    let me = Holder { key: pramana_core::envelope::Recipient(pk), role: "patient", id: patient_id };
    let date = chrono::NaiveDate::from_ymd_opt(2025, 6, 1).unwrap();
    app.seed_documents(patient_id, ("patient", patient_id), &[me], "DiagnosticReport", date, n).await;
    let (hospital, _) = app.new_hospital("IN2710000001").await;
    pramana_tests::register_x25519(app, &hospital).await;
    assert_eq!(app.post_key(&hospital, "ethereum", &format!("0x{}", "42".repeat(20))).await.status(), 201);
    let c: Value = app
        .post("/v1/consents", Some(&hospital), &pramana_tests::consent::request(abha.as_digits()))
        .await
        .json()
        .await
        .unwrap();
    let id = c["id"].as_str().unwrap().to_owned();

    let started = std::time::Instant::now();
    let (code, granted, err) = patient(s(&["consent", "approve", &id])).await.unwrap();
    let wall = started.elapsed();
    assert_eq!((code, granted["status"].as_str()), (0, Some("GRANTED")), "{err}");
    let summary = err.lines().find(|l| l.starts_with("stanzas:")).unwrap_or_default().to_owned();
    assert!(summary.contains(&format!("{n} added")), "{summary}");
    println!("grant of {n} documents: {:.1} s wall, {summary}", wall.as_secs_f64());
    let started = std::time::Instant::now();
    let (code, _, err) = patient(s(&["consent", "revoke", &id])).await.unwrap();
    assert_eq!(code, 0, "{err}");
    println!("revocation with {n} stanzas removed: {:.1} s wall", started.elapsed().as_secs_f64());
}
