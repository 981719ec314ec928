//! The authorisation matrix: every role × every endpoint that names another party's document or
//! consent, with the expected answer, and no state change from any refused write. Parties: the
//! owner (patient A), a hospital holding A's grant (H1), a hospital without one (H2), another
//! patient (B), an auditor, the operator (admin), and nobody (no token).

use alloy::primitives::Address;
use chrono::Utc;
use pramana_core::HiType;
use pramana_core::chain::eip712::ConsentSigner;
use pramana_tests::{register_x25519, seal_document, spawn_app_with, upload_query};
use serde_json::{Value, json};

use crate::consents::grants::{CONTRACT, headers_for, register_eth, sign_grant};
use crate::consents::{hospital, request};

#[tokio::test]
async fn every_role_gets_exactly_its_share() {
    let app = spawn_app_with(json!({"chain": {"contract_address": CONTRACT}})).await;
    let a = app.new_patient().await;
    let a_key = register_x25519(&app, &a.access).await;
    let signer = ConsentSigner::random();
    register_eth(&app, &a.access, signer.address()).await;
    let b = app.new_patient().await;
    let (h1, _) = hospital(&app, "IN2710000001").await;
    let (h2, _) = hospital(&app, "IN2710000002").await;
    register_eth(&app, &h1, Address::repeat_byte(0x42)).await;
    let h1_key = register_x25519(&app, &h1).await;
    let admin = app.admin_token().await;
    let auditor = app.new_auditor("auditor").await;

    let doc = uuid::Uuid::new_v4();
    let (env, info) = seal_document(doc, &[a_key.recipient()], b"lab report");
    let q = upload_query(&info, "DiagnosticReport", "2025-06-01");
    let r = app.http.put(app.url(&format!("/v1/documents/{doc}?{q}"))).bearer_auth(&a.access).body(env);
    assert_eq!(r.send().await.unwrap().status(), 201);
    let c: Value = app.post("/v1/consents", Some(&h1), &request(a.abha.as_digits())).await.json().await.unwrap();
    let consent = c["id"].as_str().unwrap().to_owned();
    let mut grant =
        sign_grant(&signer, &c, Address::repeat_byte(0x42), &[HiType::DiagnosticReport], Utc::now().timestamp() as u64);
    grant["headers"] = headers_for(&app, &a.access, &a_key, &h1_key.recipient(), &[doc]).await;
    assert_eq!(app.post(&format!("/v1/consents/{consent}/grant"), Some(&a.access), &grant).await.status(), 200);

    let roles: [(&str, Option<&str>); 7] = [
        ("owner", Some(&a.access)),
        ("granted hospital", Some(&h1)),
        ("other hospital", Some(&h2)),
        ("other patient", Some(&b.access)),
        ("auditor", Some(&auditor)),
        ("admin", Some(&admin)),
        ("nobody", None),
    ];
    // The access log sequenced into a tree head, for the proof endpoints.
    pramana_server::store::audit::sequence_next_entries(&app.pool, 10_000).await.unwrap();
    let size: i64 =
        sqlx::query_scalar("SELECT max(tree_size) FROM audit_tree_heads").fetch_one(&app.pool).await.unwrap();
    let a_seq: i64 = sqlx::query_scalar("SELECT min(seq) FROM audit_log WHERE subject_patient_id = $1")
        .bind(uuid::Uuid::parse_str(&a.id).unwrap())
        .fetch_one(&app.pool)
        .await
        .unwrap();
    // Expected status per role, in the order above.
    let reads: Vec<(String, [u16; 7])> = vec![
        (format!("/v1/documents/{doc}"), [200, 200, 404, 404, 404, 404, 401]),
        (format!("/v1/documents/{doc}/content"), [200, 200, 404, 404, 404, 404, 401]),
        (format!("/v1/documents/{doc}/fhir"), [200, 200, 404, 404, 404, 404, 401]),
        (format!("/v1/documents/{doc}/proof"), [409, 409, 404, 404, 404, 404, 401]),
        (format!("/v1/consents/{consent}"), [200, 200, 404, 404, 404, 404, 401]),
        (format!("/v1/consents/{consent}/fhir"), [200, 200, 404, 404, 404, 404, 401]),
        (format!("/v1/consents/{consent}/grantee-keys"), [200, 200, 404, 404, 404, 404, 401]),
        (format!("/v1/patients/{}", a.id), [200, 404, 404, 404, 404, 200, 401]),
        ("/v1/documents".to_owned(), [200, 200, 200, 200, 403, 403, 401]),
        ("/v1/consents".to_owned(), [200, 200, 200, 200, 403, 403, 401]),
        // Every signed consent with its chain state: auditors and the operator only.
        ("/v1/audit/consents".to_owned(), [403, 403, 403, 403, 200, 200, 401]),
        // The access log: entries by position and their proofs for auditors and the operator; tree
        // heads and consistency proofs for them and patients; each patient's own entries and
        // their inclusion proofs (another patient's entry is not found).
        ("/v1/audit/log".to_owned(), [403, 403, 403, 403, 200, 200, 401]),
        (format!("/v1/audit/log/0/proof?tree_size={size}"), [403, 403, 403, 403, 200, 200, 401]),
        ("/v1/audit/heads".to_owned(), [200, 403, 403, 200, 200, 200, 401]),
        (format!("/v1/audit/consistency?first={size}&second={size}"), [200, 403, 403, 200, 200, 200, 401]),
        ("/v1/patients/me/access-log".to_owned(), [200, 403, 403, 200, 403, 403, 401]),
        (format!("/v1/patients/me/access-log/{a_seq}/proof"), [200, 403, 403, 404, 403, 403, 401]),
        // Each patient exports only their own record (B's is empty).
        ("/v1/patients/me/export".to_owned(), [200, 403, 403, 200, 403, 403, 401]),
        // A hospital's own webhook (none set) and delivery log.
        ("/v1/hospitals/me/webhook".to_owned(), [403, 404, 404, 403, 403, 403, 401]),
        ("/v1/hospitals/me/webhook/deliveries".to_owned(), [403, 200, 200, 403, 403, 403, 401]),
    ];
    for (path, expected) in &reads {
        for ((role, token), want) in roles.iter().zip(expected) {
            let got = app.get(path, *token).await;
            let status = got.status().as_u16();
            assert_eq!(status, *want, "{role} GET {path}");
            if (path == "/v1/documents" || path == "/v1/consents") && status == 200 {
                let list: Value = got.json().await.unwrap();
                let n = list.as_array().unwrap().len();
                let sees = matches!(*role, "owner" | "granted hospital");
                assert_eq!(n, usize::from(sees), "{role} lists {n} from {path}");
            }
        }
    }

    // Writes by anyone but the owner change nothing.
    let before = app.table_counts().await;
    let empty = json!({});
    let revoke = json!({"nonce": 0, "deadline": 4_000_000_000u64, "signature": format!("0x{}", "11".repeat(64))});
    let header = json!({"key_id": "00".repeat(16), "header": "AA=="});
    let writes: Vec<(&str, String, &Value, [u16; 7])> = vec![
        ("DELETE", format!("/v1/documents/{doc}"), &empty, [0, 403, 404, 404, 404, 404, 401]),
        ("POST", format!("/v1/documents/{doc}/header"), &header, [0, 403, 403, 404, 403, 403, 401]),
        ("POST", format!("/v1/consents/{consent}/deny"), &empty, [0, 403, 403, 404, 403, 403, 401]),
        ("POST", format!("/v1/consents/{consent}/grant"), &grant, [0, 403, 403, 404, 403, 403, 401]),
        ("POST", format!("/v1/consents/{consent}/revoke"), &revoke, [0, 403, 403, 404, 403, 403, 401]),
        ("POST", format!("/v1/consents/{consent}/resign"), &revoke, [0, 403, 403, 404, 403, 403, 401]),
    ];
    for (method, path, body, expected) in &writes {
        for ((role, token), want) in roles.iter().zip(expected).skip(1) {
            let mut req = match *method {
                "DELETE" => app.http.delete(app.url(path)),
                _ => app.http.post(app.url(path)).json(body),
            };
            if let Some(t) = token {
                req = req.bearer_auth(t);
            }
            let status = req.send().await.unwrap().status().as_u16();
            assert_eq!(status, *want, "{role} {method} {path}");
        }
    }
    let after = app.table_counts().await;
    let changed: Vec<_> = before.iter().zip(&after).filter(|(x, y)| x != y && x.0 != "audit_log").collect();
    assert!(changed.is_empty(), "refused writes changed {changed:?}");
}
