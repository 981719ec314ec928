//! The operator's read-only views: hospitals with what each has set up, auditors, and the
//! platform's health (anchoring backlog and lag now and per hour) — for the operator alone.

use pramana_tests::{assert_error, assert_refused, register_x25519, run_worker_until_idle, spawn_app, spawn_platform};
use pramana_wire::{AuditorCreate, HospitalCreate};
use serde_json::json;

#[tokio::test]
async fn the_operator_sees_the_backlog_grow_and_drain_with_the_lag() {
    let p = spawn_platform().await;
    let admin = p.app.client_as(&p.app.admin_token().await);
    let before = admin.platform_health().await.unwrap();
    assert_eq!(before.hours.len(), 24);
    assert!(before.hours.windows(2).all(|w| w[1].start - w[0].start == chrono::Duration::hours(1)));
    assert!(before.hours.last().unwrap().start <= before.generated_at);
    assert_eq!(before.anchoring.last_confirmed_at, None);

    let patient = p.app.new_patient().await;
    let key = register_x25519(&p.app, &patient.access).await;
    p.upload_many(&patient, &key, 3, 3).await;
    let waiting = admin.platform_health().await.unwrap();
    // Documents (and possibly access-log tree heads) wait in the outbox: the backlog, now and in
    // the current hour's point.
    assert!(waiting.anchoring.backlog >= 3, "{waiting:?}");
    assert_eq!(waiting.anchoring.unanchored, waiting.anchoring.backlog);
    assert!(waiting.anchoring.oldest_unanchored_secs.is_some_and(|s| s >= 0), "{waiting:?}");
    assert_eq!(waiting.hours.last().unwrap().backlog, waiting.anchoring.unanchored);

    let worker = p.worker(json!({})).await;
    run_worker_until_idle(&worker, &p.anvil.url).await;
    let after = admin.platform_health().await.unwrap();
    assert_eq!((after.anchoring.backlog, after.anchoring.unanchored), (0, 0), "{after:?}");
    assert_eq!(after.anchoring.oldest_unanchored_secs, None);
    assert!(after.anchoring.last_confirmed_at.is_some() && after.anchoring.last_confirmed_block.is_some());
    let hour = after.hours.last().unwrap();
    assert!(hour.anchored >= 3, "{hour:?}");
    assert!(hour.max_lag_secs.is_some_and(|s| s >= 0), "{hour:?}");
    assert_eq!(hour.backlog, 0);
    assert_eq!((after.relay.open, after.relay.failed_total, after.webhooks.failing_hospitals), (0, 0, 0));
}

#[tokio::test]
async fn the_operator_lists_hospitals_with_their_keys_and_auditors() {
    let app = spawn_app().await;
    let admin = app.client_as(&app.admin_token().await);
    let (with_key, _) = app.new_hospital("IN2710000002").await;
    register_x25519(&app, &with_key).await;
    app.new_hospital("IN2710000001").await;
    let list = admin.admin_hospitals().await.unwrap();
    let shown: Vec<(&str, bool, bool, bool)> =
        list.iter().map(|h| (h.hfr_id.as_str(), h.encryption_key, h.signing_key, h.webhook)).collect();
    assert_eq!(shown, [("IN2710000001", false, false, false), ("IN2710000002", true, false, false)]);
    assert!(list.iter().all(|h| h.failed_webhook_deliveries == 0));

    let body = AuditorCreate { username: "audit.one".to_owned(), name: "First Auditor".to_owned() };
    let created = admin.auditor_create(&body).await.unwrap();
    let auditors = admin.auditors().await.unwrap();
    assert_eq!(auditors.len(), 1);
    assert_eq!((auditors[0].id, auditors[0].username.as_str()), (created.id, "audit.one"));
    let listed = serde_json::to_string(&auditors).unwrap();
    assert!(!listed.contains(&created.password), "a password is shown once, at creation");
}

#[tokio::test]
async fn only_the_operator_reads_its_views() {
    let app = spawn_app().await;
    let patient = app.new_patient().await;
    let (hospital, _) = app.new_hospital("IN2710000001").await;
    let auditor = app.new_auditor("audit.one").await;
    let admin = app.admin_token().await;
    let before = app.table_counts().await;
    for token in [&patient.access, &hospital, &auditor] {
        let c = app.client_as(token);
        assert_refused(c.platform_health().await, 403, "forbidden");
        assert_refused(c.admin_hospitals().await, 403, "forbidden");
        assert_refused(c.auditors().await, 403, "forbidden");
    }
    for path in ["/v1/admin/health", "/v1/admin/hospitals", "/v1/admin/auditors"] {
        assert_error(app.get(path, None).await, 401, "unauthorized").await;
    }
    // Registering is at /v1/admin/hospitals only; /v1/hospitals lists.
    let body = json!(HospitalCreate { hfr_id: "IN2710000009".to_owned(), name: "X".to_owned() });
    assert_error(app.post("/v1/hospitals", Some(&admin), &body).await, 405, "method_not_allowed").await;
    assert_eq!(app.table_counts().await, before);
}
