//! `pramana document restore-header ID VERSION`: opens the chosen header version with this
//! keystore's key and checks its MAC, and only then asks the server to make it current again.
//! The server cannot check a MAC (it holds no data key), so this check is the one that stops a
//! broken header from being restored.

use anyhow::{Context as _, bail};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use pramana_core::envelope::{self, Header};
use uuid::Uuid;

use crate::ctx::{Ctx, secret};
use crate::keystore;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Document id.
    id: Uuid,
    /// The version to make current again (see `pramana document headers`).
    version: u32,
}

pub async fn run(ctx: &Ctx, a: Args) -> anyhow::Result<()> {
    let (id, version) = (a.id, a.version);
    let api = ctx.authed()?;
    let versions = api.document_headers(id).await?;
    let Some(chosen) = versions.iter().find(|v| v.version == version) else {
        bail!("document {id} has no header version {version}");
    };
    if chosen.current {
        bail!("header version {version} of {id} is already the current header");
    }
    let bytes = B64.decode(&chosen.header).context("the header version is not base64")?;
    let header = match Header::parse(&bytes) {
        Ok((h, len)) if len == bytes.len() && h.doc_id == *id.as_bytes() => h,
        _ => bail!("header version {version} of {id} is not a valid header for this document; not restoring it"),
    };
    let pass = secret("PRAMANA_PASSPHRASE", "Keystore passphrase: ")?;
    let keys = keystore::unlock(&keystore::load(&ctx.keystore_path())?, &pass)?;
    if envelope::verify_header(&header, &keys.identity).is_err() {
        bail!(
            "header version {version} of {id} does not open with this keystore's key (its MAC does not verify, \
             or it has no stanza for you); not restoring it"
        );
    }
    // Recipients the restored header gives access back to (e.g. a stanza a later change dropped).
    let current = versions.iter().find(|v| v.current).and_then(|v| B64.decode(&v.header).ok());
    let current_ids: Vec<[u8; 16]> = current
        .and_then(|b| Header::parse(&b).ok())
        .map(|(h, _)| h.stanzas.iter().map(|s| s.key_id).collect())
        .unwrap_or_default();
    let regained: Vec<String> =
        header.stanzas.iter().filter(|s| !current_ids.contains(&s.key_id)).map(|s| hex::encode(s.key_id)).collect();
    let restored = api.document_header_restore(id, version).await?;
    ctx.print(&restored, || {
        let mut line = format!("restored header version {version} of {id} as version {}", restored.version);
        if !regained.is_empty() {
            line += &format!("; it holds stanzas the previous header did not: key ids {}", regained.join(", "));
        }
        line
    });
    Ok(())
}
