//! `pramana upload FILE`: seals the file into an envelope on disk (constant memory), to the
//! caller and every hospital whose active grant covers it, then streams it up. `pramana upload
//! --fhir BUNDLE` first checks a FHIR R4 document Bundle against the NRCeS profile of its HI type
//! (`crate::fhir::check`) and uploads nothing when an element is wrong, naming each one, unless
//! `--plain` stores it anyway as a plain document. The upload goes — resumably (tus,
//! docs/uploads.md) when the API speaks it: the envelope and the upload's URL are kept under
//! `PRAMANA_HOME/uploads/` until the document is recorded, so the same command run again after
//! a kill or a dropped connection sends only the bytes the server does not have.

use std::io::{BufReader, BufWriter};
use std::path::{Path, PathBuf};

use std::process::ExitCode;

use anyhow::{Context as _, bail};
use futures::StreamExt as _;
use pramana_client::wire::UploadQuery;
use pramana_client::{Client, ClientError};
use pramana_core::envelope::{self, Recipient, os_rng};
use uuid::Uuid;

use crate::Ctx;
use crate::ctx::CallingTheApi as _;
use crate::{fhir, grants, keystore};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The file.
    #[arg(required_unless_present = "fhir", conflicts_with = "fhir")]
    file: Option<PathBuf>,
    /// A FHIR R4 document Bundle to check against the NRCeS profile of its HI type before it is
    /// sealed (Composition first, references that resolve, required codes, chart units); when
    /// an element is wrong, each one is named and nothing is uploaded (exit status 1).
    #[arg(long, value_name = "BUNDLE")]
    fhir: Option<PathBuf>,
    /// With --fhir: store a bundle that fails the checks anyway, as a plain document (the
    /// portal's records views then leave it out).
    #[arg(long, requires = "fhir")]
    plain: bool,
    /// ABDM HI type, e.g. DiagnosticReport (with --fhir: by default the one its
    /// Composition.type names).
    #[arg(long = "type", required_unless_present = "fhir")]
    hi_type: Option<String>,
    /// Care date, YYYY-MM-DD (with --fhir: by default the day of its Composition.date).
    #[arg(long, required_unless_present = "fhir")]
    date: Option<String>,
}

/// What to upload, once the options and (with --fhir) the bundle are read.
#[derive(Debug)]
struct Target {
    file: PathBuf,
    hi_type: String,
    date: String,
}

/// What the FHIR check found, for the output.
#[derive(Debug, serde::Serialize)]
struct FhirReport {
    /// The NRCeS profile checked against.
    profile: String,
    /// Every problem found; empty when the bundle passed.
    issues: Vec<fhir::Issue>,
    /// Whether it was stored as a structured record (passed) or as a plain document.
    structured: bool,
}

/// Why bytes are not a FHIR resource at all.
fn check_issue(bytes: &[u8]) -> String {
    fhir::parse_fhir(bytes).err().map_or_else(String::new, |i| i.to_string())
}

/// Reads and checks the bundle of `--fhir`: the target, and the report; or the refusal, printed
/// here, when an element is wrong and `--plain` was not given.
fn check_fhir(ctx: &Ctx, a: &Args, path: &Path) -> anyhow::Result<Result<(Target, FhirReport), ExitCode>> {
    let bytes = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
    let parsed = fhir::parse_fhir(&bytes).ok();
    let composition = parsed
        .as_ref()
        .and_then(|b| b.get("entry")?.get(0)?.get("resource"))
        .filter(|r| r.get("resourceType").and_then(serde_json::Value::as_str) == Some("Composition"));
    let hi_type = match (&a.hi_type, fhir::profiles::hi_type_of_composition(composition.and_then(|c| c.get("type")))) {
        (Some(t), _) => t.clone(),
        (None, Some(t)) => t.to_owned(),
        (None, None) => match &parsed {
            None => bail!(
                "{} is not a FHIR document ({}): give --type (and --plain to store it anyway)",
                path.display(),
                check_issue(&bytes)
            ),
            Some(_) => {
                bail!("{} names no HI type in its Composition.type that this client knows: give --type", path.display())
            }
        },
    };
    if fhir::profiles::composition_types(&hi_type).is_none() {
        bail!("unknown HI type {hi_type} (one of {})", fhir::profiles::HI_TYPES.join(", "));
    }
    let date = match (&a.date, composition.and_then(|c| c.get("date")?.as_str()).and_then(|d| d.get(..10))) {
        (Some(d), _) => d.clone(),
        (None, Some(d)) if chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d").is_ok() => d.to_owned(),
        _ => bail!("{} has no Composition.date to take the care date from: give --date", path.display()),
    };
    let issues = match &parsed {
        Some(bundle) => fhir::check_bundle(bundle, &hi_type),
        None => fhir::check_document(&bytes, &hi_type),
    };
    let profile = fhir::profiles::profile_name(&hi_type).to_owned();
    let report = FhirReport { profile, structured: issues.is_empty(), issues };
    if !report.issues.is_empty() {
        let lines: Vec<String> = report.issues.iter().map(|i| format!("  {i}")).collect();
        let what = format!(
            "{} does not follow the NRCeS {} profile ({} problem(s)):\n{}",
            path.display(),
            report.profile,
            report.issues.len(),
            lines.join("\n")
        );
        if !a.plain {
            eprintln!("{what}\nnothing was uploaded; `--plain` stores it anyway as a plain document");
            if ctx.json {
                ctx.print(&serde_json::json!({"uploaded": false, "fhir": &report}), String::new);
            }
            return Ok(Err(ExitCode::from(1)));
        }
        eprintln!("warning: {what}\nstoring it as a plain document (--plain)");
    }
    Ok(Ok((Target { file: path.to_path_buf(), hi_type, date }, report)))
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

/// What a resumable upload keeps in `PRAMANA_HOME/uploads/<key>.json` until it is done, beside
/// the sealed envelope (`<key>.env`, encrypted): sealing is randomized, so resuming needs these
/// very bytes. `<key>` hashes the API, the file's SHA-256, the HI type and the care date, so
/// running the same `pramana upload` again finds it.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
struct Pending {
    document_id: Uuid,
    hi_type: String,
    care_date: String,
    plaintext_sha256: String,
    salt: String,
    payload_sha256: String,
    plaintext_len: u64,
    envelope_len: u64,
    shared: usize,
    /// The upload's URL once created.
    url: Option<String>,
}

impl Pending {
    fn query(&self) -> UploadQuery {
        UploadQuery {
            hi_type: self.hi_type.clone(),
            care_date: self.care_date.clone(),
            plaintext_sha256: self.plaintext_sha256.clone(),
            salt: self.salt.clone(),
            payload_sha256: self.payload_sha256.clone(),
            patient_id: None,
        }
    }
}

/// The files of one pending upload.
struct StateFiles {
    json: PathBuf,
    envelope: PathBuf,
}

impl StateFiles {
    fn load(&self) -> Option<Pending> {
        let pending: Pending = serde_json::from_slice(&std::fs::read(&self.json).ok()?).ok()?;
        let len = std::fs::metadata(&self.envelope).ok()?.len();
        (len == pending.envelope_len).then_some(pending)
    }

    fn save(&self, pending: &Pending) -> anyhow::Result<()> {
        crate::ctx::write_private(&self.json, &serde_json::to_vec(pending)?)
    }

    fn remove(&self) {
        let _ = std::fs::remove_file(&self.json);
        let _ = std::fs::remove_file(&self.envelope);
    }
}

/// SHA-256 of a file, streamed, off the async runtime.
async fn file_sha256(file: &Path) -> anyhow::Result<[u8; 32]> {
    let path = file.to_path_buf();
    tokio::task::spawn_blocking(move || -> anyhow::Result<[u8; 32]> {
        use sha2::Digest as _;
        let mut f = std::fs::File::open(&path).with_context(|| format!("reading {}", path.display()))?;
        let mut hasher = sha2::Sha256::new();
        std::io::copy(&mut f, &mut hasher)?;
        Ok(hasher.finalize().into())
    })
    .await?
}

pub async fn run(ctx: &Ctx, a: Args) -> anyhow::Result<ExitCode> {
    let (target, report) = match (&a.fhir, &a.file, &a.hi_type, &a.date) {
        (Some(path), ..) => match check_fhir(ctx, &a, path)? {
            Ok((target, report)) => (target, Some(report)),
            Err(code) => return Ok(code),
        },
        (None, Some(file), Some(hi_type), Some(date)) => {
            (Target { file: file.clone(), hi_type: hi_type.clone(), date: date.clone() }, None)
        }
        _ => bail!("give a file, --type and --date (or --fhir BUNDLE)"),
    };
    let api = ctx.authed()?;
    // The API speaks tus: a resumable upload, picked up again by the next run if this one dies.
    let uploaded = if api.uploads_supported().await.ok().flatten().is_some() {
        run_resumable(ctx, &api, &target).await?
    } else {
        run_once(ctx, &api, &target).await?
    };
    print_uploaded(ctx, &uploaded, report.as_ref());
    Ok(ExitCode::SUCCESS)
}

/// A recorded upload, for the output.
struct Uploaded {
    doc: pramana_client::wire::DocumentView,
    sha: String,
    len: u64,
    shared: usize,
}

/// The upload in one request (an API without tus).
async fn run_once(ctx: &Ctx, api: &Client, t: &Target) -> anyhow::Result<Uploaded> {
    let (file, hi_type, date) = (t.file.as_path(), t.hi_type.as_str(), t.date.as_str());
    let keys = keystore::load(&ctx.keystore_path())?;
    let mut pk = [0u8; 32];
    hex::decode_to_slice(&keys.x25519_public, &mut pk).context("keystore public key")?;
    let mut recipients = vec![Recipient(pk)];
    recipients.extend(granted_recipients(api, &keys, hi_type, date).await?);
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
    Ok(Uploaded { doc, sha: hex::encode(sealed.plaintext_sha256), len: sealed.plaintext_len, shared })
}

fn print_uploaded(ctx: &Ctx, u: &Uploaded, report: Option<&FhirReport>) {
    let (doc, sha, len, shared) = (&u.doc, &u.sha, u.len, u.shared);
    let human = || {
        let mut text = format!(
            "uploaded {}\nsha256 {sha}\nsize   {len} bytes\nshared with {shared} hospital(s) holding an active grant for it",
            doc.id
        );
        if let Some(r) = report {
            let kind = if r.structured { "a structured record" } else { "a plain document" };
            text.push_str(&format!("\nFHIR   {} {} as {kind}", doc.hi_type, r.profile));
        }
        text
    };
    match report {
        // The document's view, with what the check found beside it.
        Some(r) => {
            let mut v = serde_json::to_value(doc).unwrap_or_default();
            if let Some(o) = v.as_object_mut() {
                o.insert("fhir".to_owned(), serde_json::to_value(r).unwrap_or_default());
            }
            ctx.print(&v, human);
        }
        None => ctx.print(doc, human),
    }
}

/// Consecutive failed attempts (a dropped connection, a busy or unavailable server) before a
/// run gives up; the next run resumes from where the server got to.
const MAX_ATTEMPTS: u32 = 6;

/// The upload over tus: seal once (or find the envelope a killed run sealed), create the upload
/// (or find it), then `HEAD` for the offset and `PATCH` from there until the last byte is in.
async fn run_resumable(ctx: &Ctx, api: &Client, t: &Target) -> anyhow::Result<Uploaded> {
    let (file, hi_type, date) = (t.file.as_path(), t.hi_type.as_str(), t.date.as_str());
    let plaintext_sha = file_sha256(file).await?;
    let key = {
        use sha2::Digest as _;
        let mut h = sha2::Sha256::new();
        for part in [api.base_url().as_bytes(), &plaintext_sha[..], hi_type.as_bytes(), date.as_bytes()] {
            h.update((part.len() as u64).to_be_bytes());
            h.update(part);
        }
        hex::encode(h.finalize())
    };
    let dir = ctx.home.join("uploads");
    std::fs::create_dir_all(&dir)?;
    let state = StateFiles { json: dir.join(format!("{key}.json")), envelope: dir.join(format!("{key}.env")) };
    let mut pending = match state.load() {
        Some(p) => {
            eprintln!("resuming the upload of document {}", p.document_id);
            p
        }
        None => {
            let keys = keystore::load(&ctx.keystore_path())?;
            let mut pk = [0u8; 32];
            hex::decode_to_slice(&keys.x25519_public, &mut pk).context("keystore public key")?;
            let mut recipients = vec![Recipient(pk)];
            recipients.extend(granted_recipients(api, &keys, hi_type, date).await?);
            let shared = recipients.len() - 1;
            let id = Uuid::new_v4();
            let partial = dir.join(format!("{key}.env.part"));
            let sealed = seal(file, &partial, id, recipients).await?;
            std::fs::rename(&partial, &state.envelope)?;
            let pending = Pending {
                document_id: id,
                hi_type: hi_type.to_owned(),
                care_date: date.to_owned(),
                plaintext_sha256: hex::encode(sealed.plaintext_sha256),
                salt: hex::encode(sealed.salt),
                payload_sha256: hex::encode(sealed.payload_sha256),
                plaintext_len: sealed.plaintext_len,
                envelope_len: std::fs::metadata(&state.envelope)?.len(),
                shared,
                url: None,
            };
            state.save(&pending)?;
            pending
        }
    };
    let id = pending.document_id;
    let len = pending.envelope_len;
    let bar = ctx.progress(len, "uploading");
    let mut failures = 0;
    let outcome = loop {
        match step(api, &state, &mut pending, &bar).await {
            Ok(Step::Done) => break Ok(()),
            Ok(Step::Again) => failures = 0,
            Err(e) if is_passing(&e) && failures + 1 < MAX_ATTEMPTS => {
                failures += 1;
                let wait = std::time::Duration::from_millis(500 << failures);
                eprintln!("upload interrupted ({e}); resuming in {} ms", wait.as_millis());
                tokio::time::sleep(wait).await;
            }
            Err(e) => break Err(e),
        }
    };
    bar.finish_and_clear();
    match outcome {
        Ok(()) => {
            let doc = api.document(id).await.calling_the_api()?;
            state.remove();
            Ok(Uploaded { doc, sha: pending.plaintext_sha256, len: pending.plaintext_len, shared: pending.shared })
        }
        Err(e) => {
            // A refused envelope (or its declarations) will be refused again: start afresh next
            // time. Anything else (no answer, a session to renew) resumes next run.
            let refused = matches!(
                e.downcast_ref::<ClientError>().and_then(ClientError::status),
                Some(s) if s == reqwest::StatusCode::UNPROCESSABLE_ENTITY || s == reqwest::StatusCode::PAYLOAD_TOO_LARGE
            );
            if refused {
                state.remove();
            }
            Err(e)
        }
    }
}

/// Where one step of the loop got to.
enum Step {
    /// The document is recorded.
    Done,
    /// Progress; go on.
    Again,
}

/// A failure the next attempt may not have: no answer, a busy or failing server, an offset
/// that moved, a body the server stopped waiting for.
fn is_passing(e: &anyhow::Error) -> bool {
    match e.downcast_ref::<ClientError>() {
        Some(ClientError::Transport(_)) => true,
        Some(ClientError::Api { status, body, .. }) => {
            status.is_server_error()
                || matches!(
                    body.code.as_str(),
                    "upload_busy" | "offset_mismatch" | "body_idle_timeout" | "rate_limited"
                )
        }
        Some(ClientError::UnexpectedStatus { .. }) | None => false,
    }
}

/// One step: create the upload if it has no URL yet, else ask its offset and send the rest.
async fn step(
    api: &Client,
    state: &StateFiles,
    pending: &mut Pending,
    bar: &indicatif::ProgressBar,
) -> anyhow::Result<Step> {
    let id = pending.document_id;
    let Some(url) = pending.url.clone() else {
        let url = match api.upload_create(id, &pending.query(), pending.envelope_len).await {
            Ok(url) => url,
            // Created by a run killed before it wrote the URL down: the URL is the document's.
            Err(e) if e.code() == Some("upload_exists") => api.upload_url(&format!("/v1/uploads/{id}")),
            Err(e) => {
                // Finished by a run killed before it cleaned up.
                if e.code() == Some("document_exists") && api.document(id).await.is_ok() {
                    return Ok(Step::Done);
                }
                return Err(e.into());
            }
        };
        pending.url = Some(url);
        // Not written down, the next run finds the upload by its id anyway.
        let _ = state.save(pending);
        return Ok(Step::Again);
    };
    let offset = match api.upload_offset(&url).await {
        Ok(offset) => offset,
        Err(e) if e.status() == Some(reqwest::StatusCode::NOT_FOUND) => {
            // Gone: finished (by a run killed before it heard so), or expired.
            if api.document(id).await.is_ok() {
                return Ok(Step::Done);
            }
            pending.url = None;
            return Ok(Step::Again);
        }
        Err(e) => return Err(e.into()),
    };
    bar.set_position(offset);
    let mut file = tokio::fs::File::open(&state.envelope).await.context("the sealed envelope of this upload")?;
    tokio::io::AsyncSeekExt::seek(&mut file, std::io::SeekFrom::Start(offset)).await?;
    let throttle = std::env::var("PRAMANA_UPLOAD_THROTTLE_MS").ok().and_then(|v| v.parse::<u64>().ok());
    let sent = bar.clone();
    let stream =
        tokio_util::io::ReaderStream::with_capacity(file, if throttle.is_some() { 64 * 1024 } else { 1 << 20 })
            .then(move |chunk| async move {
                if let Some(ms) = throttle {
                    tokio::time::sleep(std::time::Duration::from_millis(ms)).await;
                }
                chunk
            })
            .inspect(move |chunk| {
                if let Ok(c) = chunk {
                    sent.inc(c.len() as u64);
                }
            });
    let remaining = pending.envelope_len - offset;
    let reached = api.upload_append(&url, offset, reqwest::Body::wrap_stream(stream), remaining).await?;
    Ok(if reached >= pending.envelope_len { Step::Done } else { Step::Again })
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
