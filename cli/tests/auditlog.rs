//! `pramana audit-log verify`, the real binary against a real platform, Anvil chain and contract:
//! the access log is sequenced and its heads anchored by the real worker; the auditor's check
//! passes, then the database is edited behind the API's back (a row rewritten with its hash
//! recomputed; the tail deleted, alone or with its heads) and the check names the entry.

#![allow(clippy::unwrap_used, reason = "tests fail loudly on the first surprise")]

use chrono::{Duration, Utc};
use pramana_server::store::audit::{self, Sequenced};
use pramana_tests::{Platform, run_worker_until_idle, spawn_platform};
use serde_json::{Value, json};

mod common;

/// A platform whose log has two anchored heads; returns it with an auditor's token.
async fn anchored_log() -> (Platform, String, Vec<i64>) {
    let p = spawn_platform().await;
    let worker = p.worker(json!({})).await;
    let mut sizes = Vec::new();
    for round in 0..2 {
        for _ in 0..3 {
            p.app.new_patient().await;
        }
        // `now` past the head interval, so the sequencer makes a head at once.
        let step = worker.sequencer().step(Utc::now() + Duration::hours(round + 1)).await.unwrap();
        let Sequenced::Head { tree_size, .. } = step else { panic!("expected a head, got {step:?}") };
        sizes.push(tree_size as i64);
        run_worker_until_idle(&worker, &p.anvil.url).await;
    }
    let auditor = p.app.new_auditor("auditor").await;
    (p, auditor, sizes)
}

async fn verify(p: &Platform, token: &str, state: Option<&std::path::Path>) -> (i32, Value, String) {
    let (api, url, c, token) = (p.app.base.clone(), p.anvil.url.clone(), p.contract.to_string(), token.to_owned());
    let state = state.map(|s| s.display().to_string());
    tokio::task::spawn_blocking(move || {
        let mut args = vec!["audit-log", "verify", "--rpc", &url, "--contract", &c, "--token", &token];
        if let Some(s) = &state {
            args.extend(["--state", s.as_str()]);
        }
        common::pramana_json(&args, &[("PRAMANA_API", &api)])
    })
    .await
    .unwrap()
}

async fn untriggered(p: &Platform, sql: &str, bind: Option<(i64, Value, Vec<u8>)>) {
    let mut conn = p.app.pool.acquire().await.unwrap();
    sqlx::query("SET session_replication_role = replica").execute(&mut *conn).await.unwrap();
    match bind {
        Some((a, b, c)) => sqlx::query(sql).bind(a).bind(b).bind(c).execute(&mut *conn).await.unwrap(),
        None => sqlx::query(sql).execute(&mut *conn).await.unwrap(),
    };
    sqlx::query("SET session_replication_role = origin").execute(&mut *conn).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_auditor_verifies_the_log_and_finds_a_rewritten_entry() {
    let (p, auditor, sizes) = anchored_log().await;
    let (code, v, err) = verify(&p, &auditor, None).await;
    assert_eq!(code, 0, "{err} {v}");
    assert_eq!(v["verified"], true, "{v}");
    assert_eq!(v["report"]["anchored_heads"], 2, "{v}");
    assert_eq!(v["report"]["verified_size"], sizes[1], "{v}");

    // Behind the API's back: the entry at position 2 says something else, and its leaf hash is
    // recomputed to match (so nothing in the row itself gives it away).
    let mut row = audit::find_entries_by_position(&p.app.pool, 2, 1).await.unwrap().remove(0);
    row.details = json!({"forged": true});
    let leaf = row.content_hash().to_vec();
    untriggered(
        &p,
        "UPDATE audit_log SET details = $2, leaf_hash = $3 WHERE seq = $1",
        Some((row.seq, row.details.clone(), leaf)),
    )
    .await;
    let (code, v, err) = verify(&p, &auditor, None).await;
    assert_eq!(code, 1, "{err} {v}");
    assert_eq!(v["verified"], false);
    assert_eq!(v["report"]["first_misfit"]["position"], 2, "{v}");
    assert_eq!(v["report"]["first_misfit"]["seq"], row.seq, "{v}");

    // The platform's own check sees it too (its stored leaf disagrees).
    let report = audit::verify_audit_log(&p.app.pool).await.unwrap();
    assert_eq!(report.first_broken_position, Some(2), "{report:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_truncated_tail_is_named_even_with_its_heads_gone() {
    let (p, auditor, sizes) = anchored_log().await;
    let dir = std::env::temp_dir().join(format!("pramana-auditlog-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    let state = dir.join("head.json");
    let (code, v, err) = verify(&p, &auditor, Some(&state)).await;
    assert_eq!(code, 0, "{err} {v}");
    let last = sizes[1];

    // The last two entries deleted: the anchored head still says there were `last`.
    untriggered(&p, &format!("DELETE FROM audit_log WHERE position >= {}", last - 2), None).await;
    let (code, v, err) = verify(&p, &auditor, None).await;
    assert_eq!(code, 1, "{err} {v}");
    assert_eq!(v["report"]["first_misfit"]["position"], last - 2, "{v}");

    // The head, its anchor proof and its tree nodes deleted too: only the head remembered from
    // the last verification (--state) shows the log was cut.
    untriggered(&p, &format!("DELETE FROM anchor_jobs WHERE audit_tree_size = {last}"), None).await;
    untriggered(&p, &format!("DELETE FROM audit_tree_heads WHERE tree_size = {last}"), None).await;
    untriggered(
        &p,
        &format!("DELETE FROM audit_tree_nodes WHERE (idx + 1) * (1::bigint << level) > {}", last - 2),
        None,
    )
    .await;
    let (code, v, err) = verify(&p, &auditor, Some(&state)).await;
    assert_eq!(code, 1, "{err} {v}");
    assert_eq!(v["report"]["first_misfit"]["position"], last - 2, "{v}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_patient_checks_an_access_against_the_anchored_head() {
    use pramana_core::auditlog::{HeadAnchor, verify_inclusion};
    let (p, _, sizes) = anchored_log().await;
    let patient = p.app.new_patient().await;
    // Sequenced and anchored.
    let worker = p.worker(json!({})).await;
    worker.sequencer().step(Utc::now() + Duration::hours(3)).await.unwrap();
    run_worker_until_idle(&worker, &p.anvil.url).await;

    let log: Value = p.app.get("/v1/patients/me/access-log", Some(&patient.access)).await.json().await.unwrap();
    let events = log["events"].as_array().unwrap();
    assert_eq!(events.len(), 4, "registered, signed in, a desk code, verified: {log}");
    for e in events {
        let seq = e["seq"].as_i64().unwrap();
        let r: Value = p
            .app
            .get(&format!("/v1/patients/me/access-log/{seq}/proof"), Some(&patient.access))
            .await
            .json()
            .await
            .unwrap();
        let size = r["head"]["tree_size"].as_u64().unwrap();
        assert!(size > sizes[1] as u64, "{r}");
        let anchor: HeadAnchor = serde_json::from_value(r["head"]["anchor"].clone()).unwrap();
        anchor.check_offline().unwrap();
        let leaf: [u8; 32] = hex::decode(r["entry"]["leaf_hash"].as_str().unwrap()).unwrap().try_into().unwrap();
        let proof: Vec<[u8; 32]> = r["proof"]
            .as_array()
            .unwrap()
            .iter()
            .map(|h| hex::decode(h.as_str().unwrap()).unwrap().try_into().unwrap())
            .collect();
        let position = r["position"].as_u64().unwrap();
        verify_inclusion(position, size, &leaf, &proof, &anchor.root).unwrap();
        // The same entry, as a client recomputes it from its content, is that leaf.
        let row: pramana_server::store::audit::AuditRow =
            audit::find_entries_by_position(&p.app.pool, position as i64, 1).await.unwrap().remove(0);
        assert_eq!(row.content_hash(), leaf);
    }
    // Another patient's entry is not found; a hospital may not ask.
    let other = p.app.new_patient().await;
    let seq = events[0]["seq"].as_i64().unwrap();
    let r = p.app.get(&format!("/v1/patients/me/access-log/{seq}/proof"), Some(&other.access)).await;
    pramana_tests::assert_error(r, 404, "not_found").await;
    // The other patient's own entries are not in a head yet.
    let mine: Value = p.app.get("/v1/patients/me/access-log", Some(&other.access)).await.json().await.unwrap();
    let seq = mine["events"][0]["seq"].as_i64().unwrap();
    let r = p.app.get(&format!("/v1/patients/me/access-log/{seq}/proof"), Some(&other.access)).await;
    pramana_tests::assert_error(r, 409, "not_sequenced").await;
}
