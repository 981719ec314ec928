//! IPFS backend over the Kubo RPC API (`/api/v0/add`, `/cat`, `/pin/rm`). A payload is staged in
//! a local file while its CIDv0 is computed (`pramana_core::cid`, Kubo's defaults), then added
//! and pinned; the node's CID must equal ours, or the object is unpinned and the upload fails.
//! The object key is the CID.
//!
//! No Kubo node can be installed on the development machines, so this client is tested only
//! against an in-process imitation of those three calls; the CID code is tested against CIDs
//! Kubo itself produced.

use std::io;
use std::path::PathBuf;

use futures::TryStreamExt as _;
use pramana_core::cid::CidBuilder;
use tokio::fs;
use tokio::io::AsyncWriteExt as _;

use super::{BlobStore, BlobUpload, BoxFuture, BoxReader, StagingFile, sweep_dir};

/// Objects on a Kubo node.
#[derive(Debug, Clone)]
pub struct IpfsStore {
    api: String,
    staging: PathBuf,
    http: reqwest::Client,
}

impl IpfsStore {
    /// Uses the Kubo RPC API at `api` (e.g. `http://127.0.0.1:5001`), staging in `staging`.
    pub async fn new(api: &str, staging: impl Into<PathBuf>) -> io::Result<Self> {
        let staging = staging.into();
        fs::create_dir_all(&staging).await?;
        Ok(Self { api: api.trim_end_matches('/').to_owned(), staging, http: reqwest::Client::new() })
    }

    /// `call` may carry a query string; its arguments here are CIDs (checked) and numbers.
    fn url(&self, call: &str) -> String {
        format!("{}/api/v0/{call}", self.api)
    }
}

fn check_cid(cid: &str) -> io::Result<()> {
    // CIDv0: "Qm" + 44 base58 characters.
    let ok = cid.len() == 46 && cid.starts_with("Qm") && cid.bytes().all(|b| b.is_ascii_alphanumeric());
    if ok { Ok(()) } else { Err(io::Error::new(io::ErrorKind::InvalidInput, "not a CIDv0")) }
}

#[allow(clippy::needless_pass_by_value, reason = "used as map_err(rpc_err)")]
fn rpc_err(e: reqwest::Error) -> io::Error {
    io::Error::other(format!("kubo rpc: {e}"))
}

struct IpfsUpload {
    store: IpfsStore,
    // Declared before `tmp`: the file is closed before the staging guard removes it.
    file: fs::File,
    tmp: StagingFile,
    cid: CidBuilder,
}

impl BlobStore for IpfsStore {
    fn begin(&self) -> BoxFuture<'_, io::Result<Box<dyn BlobUpload>>> {
        Box::pin(async move {
            let (tmp, file) = StagingFile::create(&self.staging).await?;
            Ok(Box::new(IpfsUpload { store: self.clone(), file, tmp, cid: CidBuilder::new() }) as Box<dyn BlobUpload>)
        })
    }

    fn read<'a>(&'a self, key: &'a str, offset: u64, len: u64) -> BoxFuture<'a, io::Result<BoxReader>> {
        Box::pin(async move {
            check_cid(key)?;
            let resp = self
                .http
                .post(self.url(&format!("cat?arg={key}&offset={offset}&length={len}")))
                .send()
                .await
                .map_err(rpc_err)?;
            if !resp.status().is_success() {
                return Err(io::Error::new(io::ErrorKind::NotFound, format!("kubo cat: {}", resp.status())));
            }
            let stream = resp.bytes_stream().map_err(io::Error::other);
            Ok(Box::pin(tokio_util::io::StreamReader::new(stream)) as BoxReader)
        })
    }

    fn delete<'a>(&'a self, key: &'a str) -> BoxFuture<'a, io::Result<()>> {
        Box::pin(async move {
            check_cid(key)?;
            // Unpinned blocks go at the node's next garbage collection. "not pinned" is fine.
            let resp = self.http.post(self.url(&format!("pin/rm?arg={key}"))).send().await.map_err(rpc_err)?;
            let status = resp.status();
            let body = resp.text().await.unwrap_or_default();
            if status.is_success() || body.contains("not pinned") {
                Ok(())
            } else {
                Err(io::Error::other(format!("kubo pin/rm: {status} {body}")))
            }
        })
    }

    fn sweep_staging(&self, older_than: std::time::Duration) -> BoxFuture<'_, io::Result<usize>> {
        // Only local staging: an object the node added but no row names is pinned, and is
        // removed by the upload's own clean-up, not here.
        Box::pin(async move { sweep_dir(&self.staging, older_than).await })
    }
}

impl BlobUpload for IpfsUpload {
    fn write<'a>(&'a mut self, bytes: &'a [u8]) -> BoxFuture<'a, io::Result<()>> {
        Box::pin(async move {
            self.cid.update(bytes);
            self.file.write_all(bytes).await
        })
    }

    fn commit(self: Box<Self>, _sha256_hex: String) -> BoxFuture<'static, io::Result<String>> {
        Box::pin(async move {
            // `tmp` removes the staging file when this future ends, however it ends.
            let Self { store, mut file, tmp, cid } = *self;
            let result = async {
                file.flush().await?;
                drop(file);
                let ours = cid.finish();
                let len = fs::metadata(tmp.path()).await?.len();
                let body =
                    reqwest::Body::wrap_stream(tokio_util::io::ReaderStream::new(fs::File::open(tmp.path()).await?));
                let part = reqwest::multipart::Part::stream_with_length(body, len).file_name("payload");
                let form = reqwest::multipart::Form::new().part("file", part);
                let resp = store
                    .http
                    .post(store.url("add?cid-version=0&chunker=size-262144&raw-leaves=false&pin=true&quieter=true"))
                    .multipart(form)
                    .send()
                    .await
                    .map_err(rpc_err)?;
                if !resp.status().is_success() {
                    return Err(io::Error::other(format!("kubo add: {}", resp.status())));
                }
                let text = resp.text().await.map_err(rpc_err)?;
                let theirs = text
                    .lines()
                    .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
                    .filter_map(|v| v["Hash"].as_str().map(str::to_owned))
                    .next_back()
                    .ok_or_else(|| io::Error::other("kubo add: no Hash in the answer"))?;
                if theirs != ours {
                    let _ = store.delete(&theirs).await;
                    return Err(io::Error::other(format!("kubo add: node CID {theirs} is not ours {ours}")));
                }
                Ok(ours)
            }
            .await;
            drop(tmp);
            result
        })
    }

    fn abort(self: Box<Self>) -> BoxFuture<'static, ()> {
        // Dropping the upload removes its staging file.
        drop(self);
        Box::pin(async {})
    }
}
