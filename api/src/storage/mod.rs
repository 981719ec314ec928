//! Object storage for envelope payloads, behind one trait. Objects are content-addressed (the
//! key is the hex SHA-256 of the bytes) and re-verified on full reads. Backends are chosen by
//! configuration: `local` (the default), `s3` and `ipfs`.
//!
//! Staging never outlives its upload: a `BlobUpload` dropped without `commit` or `abort` (an
//! error, a dropped request, a panic) removes its staged bytes itself, and `sweep_staging` at
//! start-up removes what a crashed process left.

pub mod ipfs;
pub mod local;
pub mod resumable;
pub mod s3;

use std::future::Future;
use std::io;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::{Duration, SystemTime};

use sha2::{Digest, Sha256};
use tokio::io::{AsyncRead, ReadBuf};

pub use ipfs::IpfsStore;
pub use local::LocalStore;
pub use resumable::ResumableFiles;
pub use s3::{S3Config, S3Store};

/// A boxed future, so the trait can be used as `dyn BlobStore`.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;
/// A boxed byte reader.
pub type BoxReader = Pin<Box<dyn AsyncRead + Send>>;

/// Where payloads live.
pub trait BlobStore: Send + Sync + std::fmt::Debug {
    /// Starts writing a new object into a staging area; nothing is visible until `commit`.
    fn begin(&self) -> BoxFuture<'_, io::Result<Box<dyn BlobUpload>>>;
    /// Reads `len` bytes of object `key` from `offset`.
    fn read<'a>(&'a self, key: &'a str, offset: u64, len: u64) -> BoxFuture<'a, io::Result<BoxReader>>;
    /// Deletes an object; deleting a missing object is not an error.
    fn delete<'a>(&'a self, key: &'a str) -> BoxFuture<'a, io::Result<()>>;
    /// Removes staged uploads older than `older_than` (what a crash left); returns how many.
    fn sweep_staging(&self, older_than: Duration) -> BoxFuture<'_, io::Result<usize>>;
}

/// An object being written. Dropping it without `commit` or `abort` discards the staged bytes
/// too (at once for files, in a spawned task for remote stores).
pub trait BlobUpload: Send {
    /// Appends bytes.
    fn write<'a>(&'a mut self, bytes: &'a [u8]) -> BoxFuture<'a, io::Result<()>>;
    /// Makes the object durable and returns its key: `sha256_hex` (which the caller computed
    /// while writing) for content-addressed stores keyed by SHA-256, the CID on IPFS.
    fn commit(self: Box<Self>, sha256_hex: String) -> BoxFuture<'static, io::Result<String>>;
    /// Discards the staged bytes.
    fn abort(self: Box<Self>) -> BoxFuture<'static, ()>;
}

/// A staging file, removed when dropped unless `keep` was called: however an upload ends
/// without being committed, its file goes.
#[derive(Debug)]
pub(crate) struct StagingFile {
    path: PathBuf,
    keep: bool,
}

impl StagingFile {
    /// Creates `<dir>/<uuid>.part` for writing.
    pub(crate) async fn create(dir: &Path) -> io::Result<(Self, tokio::fs::File)> {
        let path = dir.join(format!("{}{STAGING_SUFFIX}", uuid::Uuid::new_v4()));
        let file = tokio::fs::OpenOptions::new().write(true).create_new(true).open(&path).await?;
        Ok((Self { path, keep: false }, file))
    }

    /// The file's path.
    pub(crate) fn path(&self) -> &Path {
        &self.path
    }

    /// The file was moved into place: nothing to remove.
    pub(crate) fn keep(mut self) {
        self.keep = true;
    }
}

impl Drop for StagingFile {
    fn drop(&mut self) {
        if !self.keep {
            // One unlink; not worth a blocking-pool hop, and it must happen even without a runtime.
            match std::fs::remove_file(&self.path) {
                Err(e) if e.kind() != io::ErrorKind::NotFound => {
                    tracing::warn!(path = %self.path.display(), error = %e, "staging file not removed");
                }
                _ => {}
            }
        }
    }
}

/// The name every staging file ends with; the sweep removes only these.
const STAGING_SUFFIX: &str = ".part";

/// Removes staging files in `dir` last modified more than `older_than` ago.
pub(crate) async fn sweep_dir(dir: &Path, older_than: Duration) -> io::Result<usize> {
    let cutoff = SystemTime::now().checked_sub(older_than).unwrap_or(SystemTime::UNIX_EPOCH);
    let mut entries = tokio::fs::read_dir(dir).await?;
    let mut removed = 0;
    while let Some(entry) = entries.next_entry().await? {
        let is_staging = entry.file_name().to_str().is_some_and(|n| n.ends_with(STAGING_SUFFIX));
        let meta = entry.metadata().await?;
        if is_staging && meta.is_file() && meta.modified()? < cutoff {
            match tokio::fs::remove_file(entry.path()).await {
                Ok(()) => removed += 1,
                Err(e) if e.kind() == io::ErrorKind::NotFound => {}
                Err(e) => return Err(e),
            }
        }
    }
    Ok(removed)
}

/// Runs a clean-up future on the current runtime (from a `Drop`, which cannot await). Outside
/// a runtime it cannot run; the start-up sweep removes what it would have.
pub(crate) fn spawn_cleanup(cleanup: impl Future<Output = ()> + Send + 'static) {
    if let Ok(runtime) = tokio::runtime::Handle::try_current() {
        runtime.spawn(cleanup);
    }
}

/// Wraps a reader of a whole object and fails at its end if the bytes do not hash to the
/// expected SHA-256, so corrupted storage never passes as good data. The last bytes read are
/// held back until the hash is checked: a corrupt object never reaches a client whole.
pub struct VerifyingReader {
    inner: BoxReader,
    hasher: Sha256,
    expected: [u8; 32],
    scratch: Vec<u8>,
    held: Vec<u8>,
    release: Vec<u8>,
    release_pos: usize,
    finished: bool,
}

impl std::fmt::Debug for VerifyingReader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VerifyingReader").field("expected", &hex::encode(self.expected)).finish_non_exhaustive()
    }
}

impl VerifyingReader {
    /// Verifies `inner` against `expected`.
    pub fn new(inner: BoxReader, expected: [u8; 32]) -> Self {
        Self {
            inner,
            hasher: Sha256::new(),
            expected,
            scratch: vec![0; 64 * 1024],
            held: Vec::new(),
            release: Vec::new(),
            release_pos: 0,
            finished: false,
        }
    }
}

impl AsyncRead for VerifyingReader {
    fn poll_read(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        loop {
            if this.release_pos < this.release.len() {
                let n = buf.remaining().min(this.release.len() - this.release_pos);
                buf.put_slice(&this.release[this.release_pos..this.release_pos + n]);
                this.release_pos += n;
                return Poll::Ready(Ok(()));
            }
            if this.finished {
                return Poll::Ready(Ok(()));
            }
            let mut rb = ReadBuf::new(&mut this.scratch);
            match this.inner.as_mut().poll_read(cx, &mut rb) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(Err(e)) => return Poll::Ready(Err(e)),
                Poll::Ready(Ok(())) => {}
            }
            let n = rb.filled().len();
            if n == 0 {
                let actual: [u8; 32] = std::mem::take(&mut this.hasher).finalize().into();
                if actual != this.expected {
                    tracing::error!(expected = %hex::encode(this.expected), "stored object is corrupt");
                    return Poll::Ready(Err(io::Error::new(io::ErrorKind::InvalidData, "stored object is corrupt")));
                }
                this.release = std::mem::take(&mut this.held);
                this.release_pos = 0;
                this.finished = true;
                continue;
            }
            this.hasher.update(&this.scratch[..n]);
            this.release = std::mem::replace(&mut this.held, this.scratch[..n].to_vec());
            this.release_pos = 0;
        }
    }
}
