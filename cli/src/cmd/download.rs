//! `pramana download ID -o FILE`: streams the envelope to a temporary file, opens it, checks the
//! SHA-256 against the metadata, and only then moves the plaintext into place.

use std::io::{BufReader, BufWriter};
use std::path::PathBuf;

use anyhow::bail;
use pramana_core::envelope;
use serde_json::json;
use uuid::Uuid;

use crate::ctx::{Ctx, secret};
use crate::keystore;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Document id.
    id: Uuid,
    /// Output file.
    #[arg(short, long)]
    output: PathBuf,
}

pub async fn run(ctx: &Ctx, a: Args) -> anyhow::Result<()> {
    let (id, output) = (a.id, a.output.as_path());
    let api = ctx.authed()?;
    let expected = api.document(id).await?.plaintext_sha256;
    let pass = secret("PRAMANA_PASSPHRASE", "Keystore passphrase: ")?;
    let keys = keystore::unlock(&keystore::load(&ctx.keystore_path())?, &pass)?;

    let env_tmp = ctx.home.join(format!("download-{id}.env"));
    let mut resp = api.document_content(id).await?;
    {
        use tokio::io::AsyncWriteExt as _;
        let bar = ctx.progress(resp.content_length().unwrap_or(0), "downloading");
        let mut f = tokio::fs::File::create(&env_tmp).await?;
        while let Some(chunk) = resp.chunk().await? {
            f.write_all(&chunk).await?;
            bar.inc(chunk.len() as u64);
        }
        f.flush().await?;
        bar.finish_and_clear();
    }
    let out_tmp = output.with_extension("pramana-part");
    let (env_path, out_path) = (env_tmp.clone(), out_tmp.clone());
    let opened = tokio::task::spawn_blocking(move || -> anyhow::Result<envelope::OpenOutput> {
        let input = BufReader::with_capacity(1 << 20, std::fs::File::open(&env_path)?);
        let output = BufWriter::with_capacity(1 << 20, std::fs::File::create(&out_path)?);
        Ok(envelope::open(id.as_bytes(), &keys.identity, input, output)?)
    })
    .await?;
    let _ = tokio::fs::remove_file(&env_tmp).await;
    let opened = match opened {
        Ok(o) => o,
        Err(e) => {
            let _ = tokio::fs::remove_file(&out_tmp).await;
            return Err(e);
        }
    };
    if hex::encode(opened.plaintext_sha256) != expected {
        let _ = tokio::fs::remove_file(&out_tmp).await;
        bail!("the decrypted document does not match its recorded SHA-256");
    }
    tokio::fs::rename(&out_tmp, output).await?;
    let v = json!({"id": id, "output": output, "sha256": expected, "size": opened.plaintext_len});
    ctx.print(&v, || format!("downloaded {id} to {} (sha256 {expected} verified)", output.display()));
    Ok(())
}

/// Downloads a small document and opens it in memory, checked against its recorded SHA-256
/// (what `pramana records` reads; `run` streams through files for any size instead).
pub(crate) async fn open_in_memory(
    api: &pramana_client::Client,
    identity: &envelope::Identity,
    doc: &pramana_client::wire::DocumentView,
) -> anyhow::Result<Vec<u8>> {
    let id = doc.id;
    let mut resp = api.document_content(id).await?;
    let mut sealed = Vec::with_capacity(usize::try_from(doc.envelope_size).unwrap_or(0));
    while let Some(chunk) = resp.chunk().await? {
        sealed.extend_from_slice(&chunk);
    }
    let identity = identity.clone();
    let (plain, opened) = tokio::task::spawn_blocking(move || -> anyhow::Result<(Vec<u8>, envelope::OpenOutput)> {
        let mut plain = Vec::new();
        let opened = envelope::open(id.as_bytes(), &identity, &sealed[..], &mut plain)?;
        Ok((plain, opened))
    })
    .await??;
    if hex::encode(opened.plaintext_sha256) != doc.plaintext_sha256 {
        bail!("document {id}: the decrypted document does not match its recorded SHA-256");
    }
    Ok(plain)
}
