//! Care-context links: which hospitals may add documents to a patient's record. A hospital
//! asks (by ABHA number, answered as a consent request is, so nothing more is learnt about which
//! numbers exist); the patient approves or denies in their own client; the patient unlinks, or
//! the hospital withdraws, at any time. Uploads by a hospital check the link
//! (`service::documents::upload`). Every step is audited in the patient's access history.

use pramana_core::{AbhaNumber, Role};
use pramana_server::store;
use pramana_server::store::abha::find_verified_patient_id;
use pramana_server::store::audit::{AuditEvent, Outcome, insert_audit_event, insert_audit_event_now};
use pramana_server::store::links::{self, LinkRow};
use serde_json::json;
use sqlx::PgPool;
use uuid::Uuid;

use super::{Actor, ServiceError, ServiceResult, conflict_as};

/// A hospital asks to be linked to the patient with ABHA number `abha`.
pub async fn request(pool: &PgPool, actor: &Actor, abha: &AbhaNumber) -> ServiceResult<LinkRow> {
    actor.require(&[Role::Hospital])?;
    let patient_id = find_verified_patient_id(pool, abha.as_digits())
        .await?
        .ok_or_else(|| ServiceError::invalid_field("patient_abha_number", super::consents::NO_VERIFIED_PATIENT))?;
    let id = Uuid::now_v7();
    let mut tx = store::begin(pool).await?;
    links::insert_link_request(&mut tx, id, patient_id, actor.id).await.map_err(conflict_as(
        "link_exists",
        "this hospital already asked for, or holds, a link to this patient's record",
    ))?;
    insert_audit_event(&mut tx, &event(actor, "link.request", Outcome::Ok, patient_id, id, actor.id)).await?;
    store::commit(tx).await?;
    links::find_link_by_id(pool, id).await?.ok_or(ServiceError::NotFound)
}

/// The caller's links: a patient's (every hospital that asked), or a hospital's.
pub async fn list(pool: &PgPool, actor: &Actor) -> ServiceResult<Vec<LinkRow>> {
    match actor.role {
        Role::Patient => Ok(links::find_links_by_party(pool, Some(actor.id), None).await?),
        Role::Hospital => Ok(links::find_links_by_party(pool, None, Some(actor.id)).await?),
        Role::Auditor | Role::Admin => Err(ServiceError::Forbidden),
    }
}

/// A link the caller is a party to; anyone else gets `NotFound` (and an audited denial).
pub async fn load_party(pool: &PgPool, actor: &Actor, id: Uuid, action: &'static str) -> ServiceResult<LinkRow> {
    let l = links::find_link_by_id(pool, id).await?.ok_or(ServiceError::NotFound)?;
    let party = match actor.role {
        Role::Patient => l.patient_id == actor.id,
        Role::Hospital => l.hospital_id == actor.id,
        Role::Auditor | Role::Admin => false,
    };
    if !party {
        insert_audit_event_now(pool, &event(actor, action, Outcome::Denied, l.patient_id, l.id, l.hospital_id)).await?;
        return Err(ServiceError::NotFound);
    }
    Ok(l)
}

/// What a party does to a link.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// The patient approves an open request.
    Approve,
    /// The patient refuses an open request.
    Deny,
    /// The patient ends a link or a request, or the hospital withdraws its own.
    End,
}

/// Applies `decision` to link `id`: approve and deny are the patient's, on an open request;
/// ending is either party's, on an open request or a live link.
pub async fn decide(pool: &PgPool, actor: &Actor, id: Uuid, decision: Decision) -> ServiceResult<LinkRow> {
    let (action, from, to): (&'static str, &[&str], &str) = match decision {
        Decision::Approve => ("link.approve", &["REQUESTED"], "LINKED"),
        Decision::Deny => ("link.deny", &["REQUESTED"], "DENIED"),
        Decision::End => ("link.end", &["REQUESTED", "LINKED"], "UNLINKED"),
    };
    if decision != Decision::End {
        actor.require(&[Role::Patient])?;
    } else {
        actor.require(&[Role::Patient, Role::Hospital])?;
    }
    let l = load_party(pool, actor, id, action).await?;
    let ended_by = (to != "LINKED").then(|| actor.role.as_str());
    let mut tx = store::begin(pool).await?;
    if !links::transition_link(&mut tx, id, from, to, ended_by).await? {
        let what = if decision == Decision::End { "an open request or a live link" } else { "an open request" };
        return Err(ServiceError::conflict("invalid_transition", format!("only {what} can be changed this way")));
    }
    insert_audit_event(&mut tx, &event(actor, action, Outcome::Ok, l.patient_id, l.id, l.hospital_id)).await?;
    store::commit(tx).await?;
    links::find_link_by_id(pool, id).await?.ok_or(ServiceError::NotFound)
}

fn event(
    actor: &Actor,
    action: &'static str,
    outcome: Outcome,
    patient: Uuid,
    link: Uuid,
    hospital: Uuid,
) -> AuditEvent {
    actor.event(action, outcome).patient(patient).target("link", link).details(json!({"hospital_id": hospital}))
}
