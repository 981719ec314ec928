//! `pramana export` (download the patient's archive) and `pramana verify --archive` (check it
//! without the platform: envelope hashes, decrypted content where this machine holds the
//! patient's keystore, every proof bundle on chain, every consent's signatures and its status on
//! chain). Layout and rules in `docs/export.md`.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::io::Read as _;
use std::path::Path;
use std::process::ExitCode;

use alloy::primitives::{Address, B256};
use anyhow::{Context as _, bail};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use pramana_core::chain::eip712::domain;
use pramana_core::chain::history::{self, ChainStatus};
use pramana_core::envelope::{self, Header, Identity};
use pramana_core::export::{self, ExportedConsent, ExportedDocument, Manifest, SignerHistory};
use pramana_core::proof::ProofBundle;
use serde_json::{Value, json};
use sha2::{Digest as _, Sha256};

use crate::ctx::{CallingTheApi as _, secret, write_private};
use crate::{Ctx, keystore, trust, verify};

/// What `pramana export` keeps next to a partial download (`<output>.part.json`), so running
/// it again resumes the same export instead of starting over.
#[derive(Debug, serde::Serialize, serde::Deserialize)]
struct Partial {
    /// The API it came from.
    api: String,
    /// The export being downloaded.
    export: uuid::Uuid,
    /// Its full length.
    size: u64,
}

fn with_suffix(path: &Path, suffix: &str) -> std::path::PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(suffix);
    name.into()
}

/// Downloads the caller's export archive to `output`, streaming it to `<output>.part` and
/// renaming it into place once whole. A download that breaks (or is killed) resumes from the
/// bytes already there when the same command runs again, as long as the export is still
/// downloadable (a day); otherwise a new export starts.
pub async fn download(ctx: &Ctx, output: &Path) -> anyhow::Result<()> {
    use std::io::Write as _;
    use std::os::unix::fs::OpenOptionsExt as _;

    let client = ctx.authed()?;
    let (part, state) = (with_suffix(output, ".part"), with_suffix(output, ".part.json"));
    let earlier: Option<Partial> = std::fs::read(&state)
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok())
        .filter(|p: &Partial| p.api == ctx.client.base_url() && part.exists());
    let mut resumed = None;
    if let Some(p) = earlier {
        let have = std::fs::metadata(&part).map(|m| m.len()).unwrap_or(0).min(p.size);
        match client.patient_me_export_download(p.export, have).await {
            Ok(resp) => resumed = Some((p, have, resp)),
            Err(e) if e.code() == Some("export_not_found") => {
                eprintln!("the earlier export of this file can no longer be downloaded; starting a new one");
            }
            Err(e) => return Err(e).calling_the_api(),
        }
    }
    let (partial, from, mut resp) = match resumed {
        Some(r) => r,
        None => {
            let export = client.patient_me_export_create().await.calling_the_api()?;
            let p = Partial { api: ctx.client.base_url().to_owned(), export: export.id, size: export.size };
            write_private(&state, &serde_json::to_vec(&p)?).with_context(|| format!("writing {}", state.display()))?;
            let resp = client.patient_me_export_download(export.id, 0).await.calling_the_api()?;
            (p, 0, resp)
        }
    };
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(false)
        .mode(0o600)
        .open(&part)
        .with_context(|| format!("opening {}", part.display()))?;
    file.set_len(from)?;
    std::io::Seek::seek(&mut file, std::io::SeekFrom::Start(from))?;
    let bar = ctx.progress(partial.size, "exporting");
    bar.set_position(from);
    let mut got = from;
    let broke = |got: u64, e: &dyn std::fmt::Display| {
        anyhow::anyhow!(
            "the download broke after {got} of {} bytes ({e}); run the same command again to resume",
            partial.size
        )
    };
    loop {
        match resp.chunk().await {
            Ok(Some(chunk)) => {
                file.write_all(&chunk)?;
                got += chunk.len() as u64;
                bar.set_position(got);
            }
            Ok(None) => break,
            Err(e) => {
                file.sync_all()?;
                bar.abandon();
                return Err(broke(got, &e));
            }
        }
    }
    file.sync_all()?;
    bar.finish_and_clear();
    if got != partial.size {
        return Err(broke(got, &"the platform sent fewer bytes than the export holds"));
    }
    drop(file);
    let manifest = read_manifest_from(&part).context("the platform's archive is not a readable export")?;
    std::fs::rename(&part, output).with_context(|| format!("writing {}", output.display()))?;
    std::fs::remove_file(&state).ok();
    let v = json!({
        "output": output, "bytes": got, "documents": manifest.documents.len(),
        "exported_at": manifest.exported_at, "export": partial.export, "resumed_from": from,
    });
    ctx.print(&v, || {
        format!(
            "saved {} documents ({} bytes) to {}{}\ncheck it: pramana verify --archive {} --rpc URL",
            manifest.documents.len(),
            got,
            output.display(),
            if from > 0 { format!(" (resumed after {from} bytes)") } else { String::new() },
            output.display()
        )
    });
    Ok(())
}

/// The manifest of the archive at `path` (read without the rest of the archive).
fn read_manifest_from(path: &Path) -> anyhow::Result<Manifest> {
    let file = std::fs::File::open(path)?;
    let mut archive = tar::Archive::new(std::io::BufReader::new(file));
    for entry in archive.entries()? {
        let mut entry = entry?;
        if entry.path()?.to_string_lossy().trim_start_matches("./") == export::MANIFEST_PATH {
            let mut text = Vec::new();
            entry.read_to_end(&mut text)?;
            return parse_manifest(&text);
        }
    }
    bail!("the archive has no manifest.json")
}

/// Where a file's bytes are: read (the small JSON files) or left in the archive (envelopes,
/// read as a stream when checked, so memory does not grow with the archive).
enum Body {
    Bytes(Vec<u8>),
    At { offset: u64, size: u64 },
}

/// Files at least this large, and every envelope, stay in the archive until checked.
const READ_LIMIT: u64 = 64 * 1024 * 1024;

/// The archive's regular files by path, and any path that occurs more than once (a tar can
/// hold two entries under one name; extractors keep the last, so the verifier refuses both).
struct Files {
    archive: std::path::PathBuf,
    by_path: BTreeMap<String, Body>,
    duplicates: Vec<String>,
}

impl Files {
    fn read(archive: &Path) -> anyhow::Result<Self> {
        let file = std::fs::File::open(archive)?;
        let mut tar = tar::Archive::new(std::io::BufReader::new(file));
        let mut files = Files { archive: archive.to_owned(), by_path: BTreeMap::new(), duplicates: Vec::new() };
        for entry in tar.entries()? {
            let mut entry = entry?;
            if entry.header().entry_type() != tar::EntryType::Regular {
                continue;
            }
            // `tar cf x.tar .` writes `./manifest.json`: the same file.
            let path = entry.path()?.to_string_lossy().trim_start_matches("./").to_owned();
            let size = entry.size();
            let body = if size >= READ_LIMIT || path.ends_with(".envelope") {
                Body::At { offset: entry.raw_file_position(), size }
            } else {
                let mut bytes = Vec::new();
                entry.read_to_end(&mut bytes)?;
                Body::Bytes(bytes)
            };
            if files.by_path.insert(path.clone(), body).is_some() {
                files.duplicates.push(path);
            }
        }
        Ok(files)
    }

    /// A small file's bytes, borrowed (a large one is read now).
    fn bytes(&self, path: &str) -> Option<anyhow::Result<Cow<'_, [u8]>>> {
        Some(match self.by_path.get(path)? {
            Body::Bytes(b) => Ok(Cow::Borrowed(b)),
            Body::At { .. } => self.reader(path)?.and_then(|mut r| {
                let mut out = Vec::new();
                r.read_to_end(&mut out)?;
                Ok(Cow::Owned(out))
            }),
        })
    }

    /// A file's bytes as a stream.
    fn reader(&self, path: &str) -> Option<anyhow::Result<Box<dyn std::io::Read + '_>>> {
        Some(match self.by_path.get(path)? {
            Body::Bytes(b) => Ok(Box::new(&b[..])),
            Body::At { offset, size } => (|| {
                let mut f = std::fs::File::open(&self.archive)?;
                std::io::Seek::seek(&mut f, std::io::SeekFrom::Start(*offset))?;
                let r: Box<dyn std::io::Read> = Box::new(std::io::BufReader::new(f).take(*size));
                Ok(r)
            })(),
        })
    }
}

fn manifest_of(files: &Files) -> anyhow::Result<Manifest> {
    let text = files.bytes(export::MANIFEST_PATH).context("the archive has no manifest.json")??;
    parse_manifest(&text)
}

fn parse_manifest(text: &[u8]) -> anyhow::Result<Manifest> {
    let manifest: Manifest = serde_json::from_slice(text).context("manifest.json is not readable")?;
    if manifest.format != export::FORMAT || !export::READ_VERSIONS.contains(&manifest.version) {
        bail!("not a {} archive of version {:?}", export::FORMAT, export::READ_VERSIONS);
    }
    Ok(manifest)
}

fn parse_hash(s: &str) -> Option<[u8; 32]> {
    let mut out = [0u8; 32];
    hex::decode_to_slice(s.trim_start_matches("0x"), &mut out).ok()?;
    Some(out)
}

/// The patient's keys on this machine, when there is a keystore and a passphrase.
enum Keys {
    Available { identity: Box<Identity>, eth_address: String },
    Unavailable(String),
}

fn load_keys(ctx: &Ctx) -> anyhow::Result<Keys> {
    let path = ctx.keystore_path();
    if !path.exists() {
        return Ok(Keys::Unavailable(format!("no keystore at {}", path.display())));
    }
    let file = keystore::load(&path)?;
    let Ok(pass) = secret("PRAMANA_PASSPHRASE", "Keystore passphrase (to check the documents' content): ") else {
        return Ok(Keys::Unavailable("no passphrase for the keystore (set PRAMANA_PASSPHRASE)".into()));
    };
    let keys = keystore::unlock(&file, &pass)?;
    Ok(Keys::Available { identity: Box::new(keys.identity), eth_address: file.eth_address })
}

/// One document's findings.
struct DocReport {
    json: Value,
    problems: Vec<String>,
    line: String,
}

/// Checks `--archive FILE`; exit 0 verified, 1 not verified (errors, exit 2, are returned).
pub async fn verify(ctx: &Ctx, path: &Path, rpc: &str, contract: Option<&str>) -> anyhow::Result<ExitCode> {
    let files = Files::read(path).with_context(|| format!("{} is not a readable tar archive", path.display()))?;
    let manifest = manifest_of(&files)?;
    let consents_text = files.bytes(&manifest.consents).context("the archive has no consents.json")??;
    let consents: Vec<ExportedConsent> =
        serde_json::from_slice(&consents_text).context("consents.json is not readable")?;
    let provider = verify::connect(rpc)?;
    let trusted = trust::resolve(ctx, contract, &provider).await?;
    let (contract, chain_id) = (trusted.address, trusted.chain_id);
    let keys = load_keys(ctx)?;

    let mut problems: Vec<String> = Vec::new();
    let mut notes: Vec<String> = Vec::new();
    problems.extend(files.duplicates.iter().map(|p| format!("the archive holds {p} twice")));
    // The manifest's contract is only compared with the trusted one; every check uses the latter.
    match manifest.chain.contract.as_deref().map(str::parse::<Address>) {
        None => notes.push("the manifest names no contract".to_owned()),
        Some(Ok(named)) if named == contract => {}
        Some(Ok(named)) => problems.push(format!(
            "the manifest names contract {named}, but the contract you trust on this chain is {contract}"
        )),
        Some(Err(_)) => problems.push(format!(
            "the manifest's contract address {:?} is invalid",
            manifest.chain.contract.as_deref().unwrap_or_default()
        )),
    }
    if chain_id != manifest.chain.chain_id {
        problems.push(format!(
            "the RPC endpoint is chain {chain_id}, the archive is for chain {}",
            manifest.chain.chain_id
        ));
    }
    if let Keys::Unavailable(why) = &keys {
        notes.push(format!("content not checked: {why}; envelopes were checked against the manifest only"));
    }
    let listed: Vec<String> = manifest
        .documents
        .iter()
        .flat_map(|d| [d.envelope.clone(), d.proof.clone()])
        .flatten()
        .chain([export::MANIFEST_PATH.to_owned(), manifest.consents.clone()])
        .collect();
    for extra in files.by_path.keys().filter(|p| !listed.contains(p)) {
        notes.push(format!("{extra} is in the archive but not in the manifest (ignored)"));
    }

    let mut doc_reports = Vec::new();
    let mut not_anchored = Vec::new();
    for d in &manifest.documents {
        let r = check_document(&provider, &files, d, &keys, contract).await?;
        if r.json["anchored"] == false {
            not_anchored.push(d.id.to_string());
        }
        problems.extend(r.problems.iter().map(|p| format!("document {}: {p}", d.id)));
        doc_reports.push(r);
    }

    let eip712 = domain(manifest.chain.chain_id, contract);
    // Who signed for the account when: the rotations the archive carries, each checked offline.
    let (signers, rotation_problems) = SignerHistory::check(&manifest.patient.signer_rotations, &eip712);
    problems.extend(rotation_problems);
    let mut consent_reports = Vec::new();
    for c in &consents {
        let id = c.artefact["id"].as_str().unwrap_or("?").to_owned();
        let status = c.artefact["status"].as_str().unwrap_or("?").to_owned();
        let mut own = c.check_signatures_by(&eip712, &signers);
        let mut own_notes = Vec::new();
        // The record under (the grant's patient, its id): a grant of the same id by another key
        // is another consent.
        let chain_key: Option<(Address, B256)> =
            c.grant.as_ref().and_then(|g| Some((g.patient.parse().ok()?, g.consent_id.parse().ok()?)));
        let on_chain = match chain_key {
            Some((patient, cid)) => {
                Some(history::consent_status(&provider, contract, patient, cid).await.context("asking the chain")?)
            }
            None => None,
        };
        match (on_chain, status.as_str()) {
            (Some(ChainStatus::Revoked), s) if s != "REVOKED" => {
                own.push(format!("the chain says revoked, the archive says {s}"));
            }
            (Some(ChainStatus::Unknown), _) => {
                own_notes.push("not on chain yet (the platform has not relayed this grant)".to_owned());
            }
            (Some(ChainStatus::Active | ChainStatus::NotYetValid | ChainStatus::Expired), "REVOKED") => {
                own_notes.push("the revocation is not on chain yet".to_owned());
            }
            _ => {}
        }
        if let (Keys::Available { eth_address, .. }, Some(g)) = (&keys, &c.grant)
            && !g.patient.eq_ignore_ascii_case(eth_address)
        {
            own_notes.push(format!("signed by {}, not this keystore's address {eth_address}", g.patient));
        }
        let chain_name = on_chain.map_or_else(|| "-".to_owned(), status_name);
        problems.extend(own.iter().map(|p| format!("consent {id}: {p}")));
        consent_reports.push((
            json!({
                "id": id, "status": status, "on_chain": on_chain.map(status_name),
                "chain_consent_id": c.grant.as_ref().map(|g| g.consent_id.clone()),
                "signatures_verified": c.grant.is_some() && own.is_empty(),
                "problems": own, "notes": own_notes,
            }),
            format!(
                "consent  {id}  {status:<9} on chain: {chain_name:<13} {}{}",
                match (&c.grant, own.is_empty()) {
                    (None, _) => "no signatures (never granted)",
                    (Some(_), true) => "signatures verified",
                    (Some(_), false) => "SIGNATURES NOT VERIFIED",
                },
                own_notes.iter().map(|n| format!("; {n}")).collect::<String>()
            ),
        ));
    }

    let verified = problems.is_empty();
    let out = json!({
        "verified": verified,
        "archive": path,
        "patient_id": manifest.patient.id,
        "exported_at": manifest.exported_at,
        "chain_id": chain_id,
        "contract": contract.to_checksum(None),
        "manifest_contract": manifest.chain.contract,
        "trusted_contract": trusted.json(),
        "content_checked": matches!(keys, Keys::Available { .. }),
        "documents": doc_reports.iter().map(|r| r.json.clone()).collect::<Vec<_>>(),
        "not_anchored": not_anchored,
        "consents": consent_reports.iter().map(|(j, _)| j.clone()).collect::<Vec<_>>(),
        "problems": problems,
        "notes": notes,
    });
    ctx.print(&out, || {
        let mut lines = vec![format!(
            "{}  {} (patient {}, exported {}, {} documents, {} consents)",
            if verified { "VERIFIED" } else { "NOT VERIFIED" },
            path.display(),
            manifest.patient.id,
            manifest.exported_at.format("%Y-%m-%dT%H:%M:%SZ"),
            manifest.documents.len(),
            consents.len()
        )];
        lines.push(format!("  contract {}", trusted.describe()));
        lines.extend(doc_reports.iter().map(|r| format!("  {}", r.line)));
        lines.extend(consent_reports.iter().map(|(_, l)| format!("  {l}")));
        lines.extend(problems.iter().map(|p| format!("  - {p}")));
        lines.extend(notes.iter().map(|n| format!("  note: {n}")));
        lines.join("\n")
    });
    Ok(if verified { ExitCode::SUCCESS } else { ExitCode::from(1) })
}

fn status_name(s: ChainStatus) -> String {
    serde_json::to_value(s).ok().and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_default()
}

/// What one document's files say: envelope hash, content (with the keys), proof on chain.
async fn check_document(
    provider: &alloy::providers::RootProvider,
    files: &Files,
    d: &ExportedDocument,
    keys: &Keys,
    contract: Address,
) -> anyhow::Result<DocReport> {
    let mut problems = Vec::new();
    let mut notes = Vec::new();
    let recorded_sha = d.metadata["plaintext_sha256"].as_str().and_then(parse_hash);
    if recorded_sha.is_none() {
        problems.push("the metadata has no plaintext SHA-256".to_owned());
    }
    if d.metadata["id"].as_str() != Some(d.id.to_string().as_str()) {
        problems.push("the metadata is another document's".to_owned());
    }

    // The envelope: present unless deleted, byte-for-byte the one the manifest hashed.
    let mut content = "not checked";
    let mut decrypted: Option<[u8; 32]> = None;
    let envelope = match (&d.envelope, d.deleted_at) {
        (None, Some(_)) => {
            content = "deleted";
            "deleted"
        }
        (None, None) => {
            problems.push("the manifest lists no envelope for a live document".to_owned());
            "missing"
        }
        (Some(p), _) => match files.reader(p) {
            None => {
                problems.push(format!("{p} is missing from the archive"));
                "missing"
            }
            Some(reader) => {
                let facts = read_envelope(reader?).with_context(|| format!("reading {p}"))?;
                let recorded_header = d.metadata["header"].as_str().and_then(|h| B64.decode(h).ok());
                let recorded_payload = d.metadata["payload_sha256"].as_str().map(|h| format!("0x{h}"));
                let mut envelope = "ok";
                // Version 1 hashes the file; version 2 gives its size. Either way the envelope
                // must be the metadata's header followed by the payload the metadata hashes.
                if d.envelope_sha256.is_some() && Some(&facts.sha256) != d.envelope_sha256.as_ref() {
                    problems.push(format!("{p} does not match the SHA-256 in the manifest (the envelope was changed)"));
                    envelope = "changed";
                } else if d.envelope_size.is_some_and(|n| n != facts.size) {
                    problems.push(format!("{p} is not the size the manifest gives (the envelope was changed)"));
                    envelope = "changed";
                }
                if facts.header.is_none() || facts.header_bytes.as_ref() != recorded_header.as_ref() {
                    problems.push("the envelope's header is not the one in the metadata".to_owned());
                    envelope = "changed";
                }
                if facts.payload_sha256.as_ref() != recorded_payload.as_ref() {
                    problems.push("the envelope's payload does not match the metadata's payload_sha256".to_owned());
                    envelope = "changed";
                }
                if let Keys::Available { identity, .. } = keys {
                    let reader = files.reader(p).context("the envelope vanished")??;
                    match open_digest(&d.id, identity, facts.header.as_ref(), reader) {
                        Opened::Digest(sha) => {
                            decrypted = Some(sha);
                            content = "checked";
                            if Some(sha) != recorded_sha {
                                problems.push("the decrypted content's SHA-256 is not the one in the metadata".into());
                            }
                        }
                        Opened::NotForThisKey => {
                            notes.push("no stanza for this keystore's key (an older key?): content not checked".into());
                        }
                        Opened::Failed => {
                            content = "failed";
                            problems.push("the envelope does not decrypt with your key (it was changed)".into());
                        }
                    }
                }
                envelope
            }
        },
    };

    // The proof: what the content (or, without keys, the metadata) says, against the chain.
    let digest = decrypted.or(recorded_sha);
    let mut proof_json = Value::Null;
    let mut anchored = false;
    let mut block = 0;
    match (&d.proof, d.anchor_state.as_str()) {
        (None, "confirmed") => problems.push("confirmed, but the archive has no proof bundle".to_owned()),
        (None, _) => {}
        (Some(p), _) => {
            let bundle = files.bytes(p).transpose().map_err(|e| e.to_string()).and_then(|b| {
                b.map(|b| ProofBundle::from_json(&String::from_utf8_lossy(&b))).transpose().map_err(|e| e.to_string())
            });
            match (bundle, digest) {
                (Ok(None), _) => problems.push(format!("{p} is missing from the archive")),
                (Err(e), _) => problems.push(format!("{p}: {e}")),
                (Ok(Some(_)), None) => {}
                (Ok(Some(bundle)), Some(digest)) => {
                    anchored = true;
                    if bundle.document_id != d.id.to_string() {
                        problems.push(format!("{p} is the proof of another document ({})", bundle.document_id));
                    }
                    let v = verify::check_bundle(provider, &bundle, &digest, contract).await?;
                    block = v.anchored_block;
                    problems.extend(v.problems.iter().map(|x| format!("proof: {x}")));
                    notes.extend(v.notes.iter().cloned());
                    proof_json = verify::report(&bundle, &digest, &v);
                }
            }
        }
    }
    let state = if !problems.is_empty() {
        "NOT VERIFIED".to_owned()
    } else if anchored {
        format!("verified, anchored in block {block}")
    } else {
        "not anchored yet".to_owned()
    };
    let files_state = if d.deleted_at.is_some() {
        "deleted, no envelope".to_owned()
    } else {
        format!("envelope {envelope}, content {content}")
    };
    let line = format!(
        "document {}  {:<17} {state}; {files_state}{}",
        d.id,
        d.metadata["hi_type"].as_str().unwrap_or(""),
        notes.iter().map(|n| format!("; {n}")).collect::<String>()
    );
    Ok(DocReport {
        json: json!({
            "id": d.id, "verified": problems.is_empty() && anchored, "anchored": anchored,
            "anchor_state": d.anchor_state, "deleted": d.deleted_at.is_some(), "envelope": envelope,
            "content": content, "proof": proof_json, "problems": problems, "notes": notes,
        }),
        problems,
        line,
    })
}

enum Opened {
    Digest([u8; 32]),
    NotForThisKey,
    Failed,
}

/// What one pass over an envelope says, without keys.
struct EnvelopeFacts {
    /// Its length.
    size: u64,
    /// SHA-256 of the whole file, `0x` hex.
    sha256: String,
    /// Its header, when one parses, and the header's bytes.
    header: Option<Header>,
    header_bytes: Option<Vec<u8>>,
    /// SHA-256 of the bytes after the header, `0x` hex.
    payload_sha256: Option<String>,
}

/// Reads an envelope once, hashing the whole and the payload (constant memory).
fn read_envelope(mut r: impl std::io::Read) -> std::io::Result<EnvelopeFacts> {
    // A header is at most FIXED_LEN + 64 stanzas + MAC (a few KiB): the first block holds it.
    let mut head = Vec::with_capacity(HEAD_READ);
    (&mut r).take(HEAD_READ as u64).read_to_end(&mut head)?;
    let parsed = Header::parse(&head).ok();
    let (mut whole, mut payload) = (Sha256::new(), Sha256::new());
    whole.update(&head);
    if let Some((_, len)) = &parsed {
        payload.update(&head[*len..]);
    }
    let mut size = head.len() as u64;
    let mut buf = vec![0u8; 256 * 1024];
    loop {
        let n = r.read(&mut buf)?;
        if n == 0 {
            break;
        }
        whole.update(&buf[..n]);
        payload.update(&buf[..n]);
        size += n as u64;
    }
    Ok(EnvelopeFacts {
        size,
        sha256: export::hex0x(whole.finalize()),
        header_bytes: parsed.as_ref().map(|(_, len)| head[..*len].to_vec()),
        payload_sha256: parsed.as_ref().map(|_| export::hex0x(payload.finalize())),
        header: parsed.map(|(h, _)| h),
    })
}

/// Bytes read before looking for the header.
const HEAD_READ: usize = 64 * 1024;

/// Decrypts an envelope into nothing, returning its plaintext SHA-256.
fn open_digest(id: &uuid::Uuid, identity: &Identity, header: Option<&Header>, envelope: impl std::io::Read) -> Opened {
    let Some(header) = header else { return Opened::Failed };
    if header.stanza(&identity.recipient().key_id()).is_none() {
        return Opened::NotForThisKey;
    }
    match envelope::open(id.as_bytes(), identity, envelope, std::io::sink()) {
        Ok(out) => Opened::Digest(out.plaintext_sha256),
        Err(_) => Opened::Failed,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tar(files: &[(&str, &[u8])]) -> Vec<u8> {
        let mut builder = tar::Builder::new(Vec::new());
        for (path, body) in files {
            let mut h = tar::Header::new_ustar();
            h.set_size(body.len() as u64);
            h.set_mode(0o644);
            builder.append_data(&mut h, path, *body).unwrap();
        }
        builder.into_inner().unwrap()
    }

    #[test]
    fn repacked_paths_are_the_same_files_and_a_path_twice_is_flagged() {
        let dir = std::env::temp_dir().join(format!("pramana-archive-test-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("a.tar");
        std::fs::write(
            &path,
            tar(&[
                ("./manifest.json", b"{}"),
                ("proofs/a.json", b"1"),
                ("./proofs/a.json", b"2"),
                ("documents/x.envelope", b"env"),
            ]),
        )
        .unwrap();
        let files = Files::read(&path).unwrap();
        assert_eq!(
            files.by_path.keys().collect::<Vec<_>>(),
            ["documents/x.envelope", "manifest.json", "proofs/a.json"]
        );
        assert_eq!(files.duplicates, ["proofs/a.json"]);
        assert!(matches!(files.by_path["documents/x.envelope"], Body::At { size: 3, .. }), "envelopes stay on disk");
        assert_eq!(&files.bytes("documents/x.envelope").unwrap().unwrap()[..], b"env");
        assert!(manifest_of(&files).is_err(), "not a pramana-export manifest");
        std::fs::remove_dir_all(&dir).ok();
    }
}
