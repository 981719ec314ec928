//! `pramana document …`: a document's header history (every header it has had, kept by the
//! server) and restoring an earlier header after checking it on this device.

mod headers;
mod restore_header;

use clap::Subcommand;

use crate::Ctx;

#[derive(Debug, Subcommand)]
pub enum DocumentCmd {
    /// (Patient) every version of a document's header, newest first.
    Headers(headers::Args),
    /// (Patient) make an earlier header version current again, after checking on this device
    /// that it opens with your key (the server cannot check a header's MAC).
    RestoreHeader(restore_header::Args),
}

impl DocumentCmd {
    pub async fn run(self, ctx: &Ctx) -> anyhow::Result<()> {
        match self {
            Self::Headers(a) => headers::run(ctx, a).await,
            Self::RestoreHeader(a) => restore_header::run(ctx, a).await,
        }
    }
}

/// One line about a header version.
fn version_line(v: &pramana_client::wire::HeaderVersionView) -> String {
    let by = match (&v.actor_role, v.actor_id) {
        (Some(role), Some(id)) => format!("{role} {id}"),
        _ => "-".to_owned(),
    };
    format!(
        "v{:<4} {} {:<16} by {}  sha256 {}{}",
        v.version,
        v.created_at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        v.reason,
        by,
        &v.header_sha256[..16.min(v.header_sha256.len())],
        if v.current { "  (current)" } else { "" }
    )
}
