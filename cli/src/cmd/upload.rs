//! `pramana upload FILE`: seals the file into a temporary envelope (constant memory), to the
//! caller and every hospital whose active grant covers it, then streams it up.

use std::io::{BufReader, BufWriter};
use std::path::{Path, PathBuf};

use anyhow::Context as _;
use futures::StreamExt as _;
use pramana_client::Client;
use pramana_client::wire::UploadQuery;
use pramana_core::envelope::{self, Recipient, os_rng};
use uuid::Uuid;

use crate::Ctx;
use crate::{grants, keystore};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The file.
    file: PathBuf,
    /// ABDM HI type, e.g. DiagnosticReport.
    #[arg(long = "type")]
    hi_type: String,
    /// Care date, YYYY-MM-DD.
    #[arg(long)]
    date: String,
}

/// The X25519 keys of the hospitals whose active grant covers a document of `hi_type` and care
/// date `date`: a new document in a granted scope is sealed to them too, as a grant would have
/// done had the document existed then. Only grants the patient's own keys signed count
/// (`grants::signed_by_me`); any other listed grant is named on stderr and left out.
async fn granted_recipients(
    api: &Client,
    keys: &keystore::KeystoreFile,
    hi_type: &str,
    date: &str,
) -> anyhow::Result<Vec<Recipient>> {
    let covering: Vec<_> = api
        .consents()
        .await?
        .into_iter()
        .filter(|c| {
            c.status == "GRANTED"
                && c.hi_types.iter().any(|t| t == hi_type)
                && c.date_range.from.to_string().as_str() <= date
                && date <= c.date_range.to.to_string().as_str()
        })
        .collect();
    if covering.is_empty() {
        return Ok(Vec::new());
    }
    let chain = api.chain().await?;
    let Some(contract) = chain.contract_address.as_deref().and_then(|a| a.parse().ok()) else {
        eprintln!(
            "warning: the platform names no consent contract, so no grant can be checked; \
             the document is sealed to you alone"
        );
        return Ok(Vec::new());
    };
    let domain = pramana_core::chain::domain(chain.chain_id, contract);
    let mine = keys.own_signers()?;
    let mut out = Vec::new();
    for c in covering {
        if let Err(why) = grants::signed_by_me(&c, &domain, &mine) {
            eprintln!("warning: not sealed to the hospital of consent {}: {why}", c.id);
            continue;
        }
        let keys = api.consent_grantee_keys(c.id).await?;
        let mut pk = [0u8; 32];
        if let Some(hex_key) = keys.x25519_public_key.as_deref()
            && hex::decode_to_slice(hex_key, &mut pk).is_ok()
            && !out.contains(&Recipient(pk))
        {
            out.push(Recipient(pk));
        }
    }
    Ok(out)
}

pub async fn run(ctx: &Ctx, a: Args) -> anyhow::Result<()> {
    let (file, hi_type, date) = (a.file.as_path(), a.hi_type.as_str(), a.date.as_str());
    let api = ctx.authed()?;
    let keys = keystore::load(&ctx.keystore_path())?;
    let mut pk = [0u8; 32];
    hex::decode_to_slice(&keys.x25519_public, &mut pk).context("keystore public key")?;
    let mut recipients = vec![Recipient(pk)];
    recipients.extend(granted_recipients(&api, &keys, hi_type, date).await?);
    let shared = recipients.len() - 1;
    let id = Uuid::new_v4();
    let tmp = ctx.home.join(format!("upload-{id}.env"));
    let sealed = seal(file, &tmp, id, recipients).await?;
    let result = async {
        let len = tokio::fs::metadata(&tmp).await?.len();
        let bar = ctx.progress(len, "uploading");
        let sent = bar.clone();
        let stream = tokio_util::io::ReaderStream::with_capacity(tokio::fs::File::open(&tmp).await?, 1 << 20).inspect(
            move |chunk| {
                if let Ok(c) = chunk {
                    sent.inc(c.len() as u64);
                }
            },
        );
        let q = UploadQuery {
            hi_type: hi_type.to_owned(),
            care_date: date.to_owned(),
            plaintext_sha256: hex::encode(sealed.plaintext_sha256),
            salt: hex::encode(sealed.salt),
            payload_sha256: hex::encode(sealed.payload_sha256),
            patient_id: None,
        };
        let doc = api.document_upload(id, &q, reqwest::Body::wrap_stream(stream), len).await;
        bar.finish_and_clear();
        anyhow::Ok(doc?)
    }
    .await;
    let _ = tokio::fs::remove_file(&tmp).await;
    let doc = result?;
    ctx.print(&doc, || {
        format!(
            "uploaded {id}\nsha256 {}\nsize   {} bytes\nshared with {shared} hospital(s) holding an active grant for it",
            hex::encode(sealed.plaintext_sha256),
            sealed.plaintext_len
        )
    });
    Ok(())
}

/// Seals `file` into the envelope file `dst`, off the async runtime.
async fn seal(file: &Path, dst: &Path, id: Uuid, recipients: Vec<Recipient>) -> anyhow::Result<envelope::SealOutput> {
    let (src, dst) = (file.to_path_buf(), dst.to_path_buf());
    tokio::task::spawn_blocking(move || -> anyhow::Result<envelope::SealOutput> {
        let input = BufReader::with_capacity(
            1 << 20,
            std::fs::File::open(&src).with_context(|| format!("reading {}", src.display()))?,
        );
        let output = BufWriter::with_capacity(1 << 20, std::fs::File::create(&dst)?);
        Ok(envelope::seal(id.as_bytes(), &recipients, &mut os_rng(), input, output)?)
    })
    .await?
}
