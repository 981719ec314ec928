//! The access log: who sees what, that the platform's own check detects edits, and that appends
//! without a lock lose and duplicate nothing (docs/audit-log.md). The check against the chain,
//! `pramana audit-log verify`, is tested with the real binary in `cli/tests/auditlog.rs`.

use pramana_server::store::audit::{self, Sequenced};
use pramana_tests::{assert_refused, spawn_app};
use pramana_wire::AuditQuery;

#[tokio::test]
async fn patients_see_their_own_events_and_auditors_see_all() {
    let app = spawn_app().await;
    let a = app.new_patient().await;
    let b = app.new_patient().await;
    let page = app.client_as(&a.access).audit(&AuditQuery::default()).await.unwrap();
    let actions: Vec<&str> = page.events.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(actions, ["patient.register", "auth.login", "abha.code", "abha.verify"]);
    assert!(page.events.iter().all(|e| e.subject_patient_id.map(|u| u.to_string()).as_deref() == Some(a.id.as_str())));
    assert!(!serde_json::to_string(&page).unwrap().contains(&b.id));

    let admin = app.client_as(&app.admin_token().await);
    let all = admin.audit(&AuditQuery { after: None, limit: Some(1000) }).await.unwrap();
    assert!(all.events.len() >= 5);
    let paged = admin.audit(&AuditQuery { after: None, limit: Some(2) }).await.unwrap();
    assert_eq!(paged.next_after, Some(2));
    assert_refused(admin.audit(&AuditQuery { after: None, limit: Some(0) }).await, 422, "invalid_limit");
}

#[tokio::test]
async fn the_log_verifies_and_an_edited_row_is_detected() {
    let app = spawn_app().await;
    for _ in 0..3 {
        app.new_patient().await;
    }
    let admin = app.client_as(&app.admin_token().await);
    let report = admin.audit_verify().await.unwrap();
    assert_eq!(report.first_broken_seq, None);
    assert!(report.checked >= 7, "{report:?}");

    // The table refuses edits through normal SQL...
    let err = sqlx::query("UPDATE audit_log SET action = 'nothing' WHERE seq = 3").execute(&app.pool).await;
    assert!(err.is_err(), "audit_log is append-only");
    let err = sqlx::query("DELETE FROM audit_log WHERE seq = 3").execute(&app.pool).await;
    assert!(err.is_err(), "audit_log is append-only");
    // The sequencer's one change (a position, once) cannot carry another edit with it.
    let err =
        sqlx::query("UPDATE audit_log SET position = 0, action = 'nothing' WHERE seq = 3").execute(&app.pool).await;
    assert!(err.is_err(), "only the position may be set");
    let err = sqlx::query("TRUNCATE audit_log").execute(&app.pool).await;
    assert!(err.is_err(), "audit_log is append-only");

    // ...and an edit made behind its back (triggers off) is detected at that row.
    let mut conn = app.pool.acquire().await.unwrap();
    sqlx::query("SET session_replication_role = replica").execute(&mut *conn).await.unwrap();
    sqlx::query("UPDATE audit_log SET details = '{\"abha_addresses\": 9}' WHERE seq = 3")
        .execute(&mut *conn)
        .await
        .unwrap();
    sqlx::query("SET session_replication_role = origin").execute(&mut *conn).await.unwrap();
    drop(conn);
    let report = admin.audit_verify().await.unwrap();
    assert_eq!(report.first_broken_seq, Some(3), "{report:?}");
    assert_eq!(report.checked, 2);
}

#[tokio::test]
async fn a_deleted_row_is_detected() {
    let app = spawn_app().await;
    for _ in 0..2 {
        app.new_patient().await;
    }
    assert!(matches!(audit::sequence_next_entries(&app.pool, 1000).await.unwrap(), Sequenced::Head { .. }));
    let position: Option<i64> =
        sqlx::query_scalar("SELECT position FROM audit_log WHERE seq = 2").fetch_one(&app.pool).await.unwrap();
    assert_eq!(position, Some(1), "sequenced in seq order");
    let mut conn = app.pool.acquire().await.unwrap();
    sqlx::query("SET session_replication_role = replica").execute(&mut *conn).await.unwrap();
    sqlx::query("DELETE FROM audit_log WHERE seq = 2").execute(&mut *conn).await.unwrap();
    drop(conn);
    let report = audit::verify_audit_log(&app.pool).await.unwrap();
    assert_eq!(report.first_broken_position, Some(1), "{report:?}");
    assert_eq!(report.first_broken_seq, None, "the entry there is gone: {report:?}");
}

#[tokio::test]
async fn parallel_appends_lose_and_duplicate_nothing() {
    let app = spawn_app().await;
    let p = app.new_patient().await;
    // 50 audited requests at once (each profile read by the operator is an event for the patient),
    // while sequencers run beside them.
    let admin = app.admin_token().await;
    let before: i64 = sqlx::query_scalar("SELECT count(*) FROM audit_log").fetch_one(&app.pool).await.unwrap();
    let (app_ref, admin_ref, patient) = (&app, &admin, &p.id);
    let reads = (0..50).map(|_| async move {
        let r = app_ref.get(&format!("/v1/patients/{patient}"), Some(admin_ref)).await;
        assert_eq!(r.status(), 200);
        r.headers()["x-request-id"].to_str().unwrap().to_owned()
    });
    let sequencing = async {
        let mut heads = 0;
        for _ in 0..20 {
            if let Sequenced::Head { .. } = audit::sequence_next_entries(&app.pool, 7).await.unwrap() {
                heads += 1;
            }
            tokio::task::yield_now().await;
        }
        heads
    };
    let (request_ids, _) = tokio::join!(futures::future::join_all(reads), sequencing);
    // Two sequencers at once: one integrates, the other finds the lock taken or nothing left.
    let (a, b) =
        tokio::join!(audit::sequence_next_entries(&app.pool, 1000), audit::sequence_next_entries(&app.pool, 1000));
    let (a, b) = (a.unwrap(), b.unwrap());
    assert!(!matches!((a, b), (Sequenced::Head { .. }, Sequenced::Head { .. })), "{a:?} {b:?}");
    while let Sequenced::Head { .. } | Sequenced::Busy = audit::sequence_next_entries(&app.pool, 1000).await.unwrap() {}

    let total: i64 = sqlx::query_scalar("SELECT count(*) FROM audit_log").fetch_one(&app.pool).await.unwrap();
    assert_eq!(total, before + 50, "one entry per request");
    for id in &request_ids {
        let n: i64 = sqlx::query_scalar("SELECT count(*) FROM audit_log WHERE request_id = $1")
            .bind(id)
            .fetch_one(&app.pool)
            .await
            .unwrap();
        assert_eq!(n, 1, "request {id} has exactly one entry");
    }
    let (n, min, max): (i64, Option<i64>, Option<i64>) =
        sqlx::query_as("SELECT count(DISTINCT position), min(position), max(position) FROM audit_log")
            .fetch_one(&app.pool)
            .await
            .unwrap();
    assert_eq!((n, min, max), (total, Some(0), Some(total - 1)), "positions are 0..n, each once");
    let head: i64 =
        sqlx::query_scalar("SELECT max(tree_size) FROM audit_tree_heads").fetch_one(&app.pool).await.unwrap();
    assert_eq!(head, total);
    let report = audit::verify_audit_log(&app.pool).await.unwrap();
    assert_eq!((report.first_broken_seq, report.first_broken_position), (None, None), "{report:?}");
    assert_eq!(report.checked, total as u64);
}

#[tokio::test]
async fn an_access_is_answered_only_after_its_entry_is_committed() {
    let app = spawn_app().await;
    let p = app.new_patient().await;
    let admin = app.admin_token().await;
    let r = app.get(&format!("/v1/patients/{}", p.id), Some(&admin)).await;
    assert_eq!(r.status(), 200);
    let request_id = r.headers()["x-request-id"].to_str().unwrap().to_owned();
    // Read on another connection as soon as the response is in: the entry is already committed,
    // with its leaf hash, and nothing but the sequencer is left to do.
    let row: (String, Option<Vec<u8>>, Option<i64>) =
        sqlx::query_as("SELECT action, leaf_hash, position FROM audit_log WHERE request_id = $1")
            .bind(&request_id)
            .fetch_one(&app.pool)
            .await
            .unwrap();
    assert_eq!(row.0, "patient.read");
    assert_eq!(row.1.map(|h| h.len()), Some(32));
    assert_eq!(row.2, None, "not sequenced yet");
}

#[tokio::test]
async fn rows_from_before_the_verifiable_log_are_sequenced_from_their_content() {
    let app = spawn_app().await;
    app.new_patient().await;
    // A row as the migration leaves the old log's rows: an id, no leaf hash.
    let seq: i64 = sqlx::query_scalar(
        "INSERT INTO audit_log (id, at, actor_role, action, outcome, details)
         VALUES (gen_random_uuid(), date_trunc('milliseconds', now()), 'system', 'legacy.event', 'ok', '{\"b\": 1, \"a\": [2]}')
         RETURNING seq",
    )
    .fetch_one(&app.pool)
    .await
    .unwrap();
    while let Sequenced::Head { .. } = audit::sequence_next_entries(&app.pool, 1).await.unwrap() {}
    let row = audit::find_audit_event_by_seq(&app.pool, seq, None).await.unwrap().unwrap();
    assert_eq!(row.leaf_hash.as_deref(), Some(&row.content_hash()[..]), "its leaf hash comes from its content");
    assert!(row.position.is_some());
    let report = audit::verify_audit_log(&app.pool).await.unwrap();
    assert_eq!((report.first_broken_seq, report.first_broken_position), (None, None), "{report:?}");
    // Once set, the leaf hash stays.
    let err = sqlx::query("UPDATE audit_log SET leaf_hash = $2 WHERE seq = $1")
        .bind(seq)
        .bind(vec![0u8; 32])
        .execute(&app.pool)
        .await;
    assert!(err.is_err(), "audit_log is append-only");
}
