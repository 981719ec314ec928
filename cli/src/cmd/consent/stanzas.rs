//! The header changes after a grant or a revocation, page by page: list the documents still
//! waiting (`/v1/consents/{id}/stanzas/pending` or `…/stale`), make each new header on this
//! device (the data keys never leave it), send them a page at a time (each page one transaction
//! on the server). Stopped half-way, running the command again lists what is left and goes on.
//! A document this keystore cannot open (sealed to an older key, an unreadable header) is
//! skipped and named at the end, never fatal.

use anyhow::Context as _;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use pramana_client::Client;
use pramana_client::wire::{StanzaChange, StanzaChangePage, StanzaDocument, StanzaQuery};
use pramana_core::envelope::{self, Header, Identity, Recipient, os_rng};
use sha2::{Digest as _, Sha256};
use uuid::Uuid;

/// Documents per listing.
const LIST_LIMIT: i64 = 500;
/// Most documents per page sent (the server's limit).
const PAGE_DOCS: usize = 100;
/// Most header bytes (base64) per page sent, well under the API's default 64 KiB JSON limit.
const PAGE_BYTES: usize = 40 * 1024;
/// Passes over the listing while documents keep changing under us.
const MAX_PASSES: usize = 3;

/// Which change to make.
#[derive(Debug, Clone, Copy)]
pub enum Change {
    /// Add a stanza for the hospital's key (after a grant).
    Add(Recipient),
    /// Remove the stanza for this key id (after a revocation).
    Remove([u8; 16]),
}

/// What the pages did.
#[derive(Debug, Default)]
pub struct Report {
    /// Headers changed by this run.
    pub changed: usize,
    /// Documents already as asked.
    pub already_done: usize,
    /// Documents this keystore could not change, with the reason.
    pub skipped: Vec<(Uuid, String)>,
    /// Documents the change concerns in all.
    pub total: i64,
    /// Documents still waiting (the skipped ones among them).
    pub remaining: i64,
    /// HTTP requests made.
    pub requests: usize,
}

impl Report {
    /// The skipped documents, one line each, for stderr.
    pub fn skipped_lines(&self) -> String {
        self.skipped.iter().map(|(id, why)| format!("  {id}: {why}\n")).collect()
    }
}

/// Runs the change over every document the server lists for consent `id`, printing progress to
/// stderr unless `quiet`.
pub async fn run(api: &Client, id: Uuid, identity: &Identity, change: Change, quiet: bool) -> anyhow::Result<Report> {
    let mut report = Report::default();
    for _ in 0..MAX_PASSES {
        let mut after = None;
        let mut changed_meanwhile = 0;
        report.skipped.clear();
        loop {
            let q = StanzaQuery { after, limit: Some(LIST_LIMIT) };
            let page = match change {
                Change::Add(_) => api.consent_stanzas_pending(id, &q).await?,
                Change::Remove(_) => api.consent_stanzas_stale(id, &q).await?,
            };
            report.requests += 1;
            report.total = page.total;
            report.remaining = page.remaining;
            let mut batch: Vec<StanzaChange> = Vec::new();
            let mut bytes = 0;
            for d in &page.documents {
                let item = match new_header(d, identity, change) {
                    Ok(Some(item)) => item,
                    Ok(None) => continue,
                    Err(why) => {
                        report.skipped.push((d.document_id, why));
                        continue;
                    }
                };
                if batch.len() == PAGE_DOCS || (bytes + item.header.len() > PAGE_BYTES && !batch.is_empty()) {
                    changed_meanwhile += send(api, id, change, std::mem::take(&mut batch), &mut report).await?;
                    bytes = 0;
                    progress(&report, change, quiet);
                }
                bytes += item.header.len();
                batch.push(item);
            }
            if !batch.is_empty() {
                changed_meanwhile += send(api, id, change, batch, &mut report).await?;
                progress(&report, change, quiet);
            }
            let Some(next) = page.next_after else { break };
            after = Some(next);
        }
        if changed_meanwhile == 0 {
            break;
        }
    }
    Ok(report)
}

/// The new header for one listed document; `None` when there is nothing to change; `Err` with
/// the reason when this keystore cannot make it.
fn new_header(d: &StanzaDocument, identity: &Identity, change: Change) -> Result<Option<StanzaChange>, String> {
    let raw = B64.decode(&d.header).map_err(|_| "its header is not base64".to_owned())?;
    let old = match Header::parse(&raw) {
        Ok((h, len)) if len == raw.len() => h,
        _ => return Err("its stored header does not parse".to_owned()),
    };
    let not_mine = "this keystore cannot open it (sealed to another or an older key?)".to_owned();
    let new = match change {
        // A stanza left from an earlier grant: sent back as it is, the server records it as held.
        Change::Add(to) if old.stanza(&to.key_id()).is_some() => old,
        Change::Add(to) => envelope::add_recipient(&old, identity, &to, &mut os_rng()).map_err(|_| not_mine.clone())?,
        Change::Remove(key_id) if old.stanza(&key_id).is_none() => return Ok(None),
        Change::Remove(key_id) => envelope::remove_recipient(&old, identity, &key_id).map_err(|_| not_mine.clone())?,
    };
    // The server can only check the structure; the MAC is checked here, so a header this
    // device could not open again never leaves it.
    envelope::verify_header(&new, identity).map_err(|_| not_mine)?;
    Ok(Some(StanzaChange {
        document_id: d.document_id,
        base_sha256: hex::encode(Sha256::digest(&raw)),
        header: B64.encode(new.to_bytes()),
    }))
}

/// Sends one page; returns how many documents changed since they were listed.
async fn send(
    api: &Client,
    id: Uuid,
    change: Change,
    headers: Vec<StanzaChange>,
    report: &mut Report,
) -> anyhow::Result<usize> {
    let n = headers.len();
    let body = StanzaChangePage { headers };
    let out = match change {
        Change::Add(_) => api.consent_stanzas_add(id, &body).await,
        Change::Remove(_) => api.consent_stanzas_remove(id, &body).await,
    }
    .with_context(|| format!("a page of {n} header(s) was refused; none of it was applied"))?;
    report.requests += 1;
    report.changed += out.changed.len();
    report.already_done += out.already_done.len();
    report.remaining = out.remaining;
    Ok(out.changed_meanwhile.len())
}

fn progress(report: &Report, change: Change, quiet: bool) {
    if quiet {
        return;
    }
    let done = thousands(report.total.saturating_sub(report.remaining));
    match change {
        Change::Add(_) => eprintln!("added to {done} of {} documents", thousands(report.total)),
        Change::Remove(_) => eprintln!(
            "removed from {} documents, {} to go",
            thousands(i64::try_from(report.changed).unwrap_or(i64::MAX)),
            thousands(report.remaining)
        ),
    }
}

/// `3200` as `3,200`.
pub fn thousands(n: i64) -> String {
    let digits = n.unsigned_abs().to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3 + 1);
    if n < 0 {
        out.push('-');
    }
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::thousands;

    #[test]
    fn thousands_are_grouped() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(3200), "3,200");
        assert_eq!(thousands(10_000), "10,000");
        assert_eq!(thousands(1_234_567), "1,234,567");
    }
}
