//! The staged bytes of resumable (tus) uploads: one file per upload, `<dir>/<upload id>`,
//! appended to by `PATCH` requests, on the API's local disk whatever the object store (the
//! finished envelope is then stored like any upload). The file's length is the upload's
//! offset, so whatever bytes reached the disk before a connection dropped count. One writer at
//! a time per upload in this process (`ResumableFiles::lock`).

use std::collections::HashSet;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};

use tokio::fs;
use uuid::Uuid;

/// The directory of resumable uploads' staged bytes, and which uploads are being written.
#[derive(Debug)]
pub struct ResumableFiles {
    dir: PathBuf,
    writers: Mutex<HashSet<Uuid>>,
}

/// The right to write (or finish) one upload; released when dropped.
#[derive(Debug)]
pub struct WriterGuard {
    files: Arc<ResumableFiles>,
    id: Uuid,
}

impl Drop for WriterGuard {
    fn drop(&mut self) {
        self.files.writers.lock().unwrap_or_else(PoisonError::into_inner).remove(&self.id);
    }
}

impl ResumableFiles {
    /// Uses (and creates) `dir`.
    pub async fn open(dir: impl Into<PathBuf>) -> io::Result<Self> {
        let dir = dir.into();
        fs::create_dir_all(&dir).await?;
        Ok(Self { dir, writers: Mutex::new(HashSet::new()) })
    }

    /// The directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Upload `id`'s file.
    pub fn path(&self, id: Uuid) -> PathBuf {
        self.dir.join(id.to_string())
    }

    /// Takes the right to write upload `id`; `None` while another request holds it.
    pub fn lock(self: &Arc<Self>, id: Uuid) -> Option<WriterGuard> {
        let mut writers = self.writers.lock().unwrap_or_else(PoisonError::into_inner);
        writers.insert(id).then(|| WriterGuard { files: self.clone(), id })
    }

    /// Bytes staged for upload `id` so far (0 before the first `PATCH`).
    pub async fn offset(&self, id: Uuid) -> io::Result<u64> {
        match fs::metadata(self.path(id)).await {
            Ok(meta) => Ok(meta.len()),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(0),
            Err(e) => Err(e),
        }
    }

    /// Upload `id`'s file, opened for appending (created if missing).
    pub async fn append(&self, _guard: &WriterGuard, id: Uuid) -> io::Result<fs::File> {
        fs::OpenOptions::new().create(true).append(true).open(self.path(id)).await
    }

    /// Upload `id`'s file, opened for reading.
    pub async fn read(&self, id: Uuid) -> io::Result<fs::File> {
        fs::File::open(self.path(id)).await
    }

    /// Removes upload `id`'s file (a missing file is not an error).
    pub async fn remove(&self, id: Uuid) -> io::Result<()> {
        match fs::remove_file(self.path(id)).await {
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
            other => other,
        }
    }

    /// The ids of every staged file nobody is writing now.
    pub async fn idle_ids(&self) -> io::Result<Vec<Uuid>> {
        let mut entries = fs::read_dir(&self.dir).await?;
        let mut ids = Vec::new();
        while let Some(entry) = entries.next_entry().await? {
            if let Some(id) = entry.file_name().to_str().and_then(|n| Uuid::parse_str(n).ok()) {
                ids.push(id);
            }
        }
        let writers = self.writers.lock().unwrap_or_else(PoisonError::into_inner);
        ids.retain(|id| !writers.contains(id));
        Ok(ids)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn one_writer_at_a_time_and_the_offset_is_the_file_length() {
        let dir = std::env::temp_dir().join(format!("pramana-resumable-{}", Uuid::new_v4()));
        let files = Arc::new(ResumableFiles::open(&dir).await.unwrap());
        let id = Uuid::new_v4();
        assert_eq!(files.offset(id).await.unwrap(), 0);
        let guard = files.lock(id).unwrap();
        assert!(files.lock(id).is_none(), "a second writer waits");
        assert!(files.idle_ids().await.unwrap().is_empty());
        let mut f = files.append(&guard, id).await.unwrap();
        tokio::io::AsyncWriteExt::write_all(&mut f, b"hello").await.unwrap();
        tokio::io::AsyncWriteExt::flush(&mut f).await.unwrap();
        assert_eq!(files.offset(id).await.unwrap(), 5);
        drop(guard);
        assert_eq!(files.idle_ids().await.unwrap(), vec![id]);
        assert!(files.lock(id).is_some());
        files.remove(id).await.unwrap();
        files.remove(id).await.unwrap();
        assert_eq!(files.offset(id).await.unwrap(), 0);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
