//! Local-filesystem backend: objects at `<root>/objects/<2 hex>/<64 hex>`, staged in
//! `<root>/tmp/<uuid>.part` (removed on every path but a successful commit), made durable by
//! write → fsync → rename → fsync of the directory.

use std::io;
use std::path::{Path, PathBuf};

use tokio::fs;
use tokio::io::{AsyncReadExt as _, AsyncSeekExt as _, AsyncWriteExt as _};

use super::{BlobStore, BlobUpload, BoxFuture, BoxReader, StagingFile, sweep_dir};

/// Objects in a directory.
#[derive(Debug, Clone)]
pub struct LocalStore {
    root: PathBuf,
}

impl LocalStore {
    /// Uses (and creates) `root`.
    pub async fn open(root: impl Into<PathBuf>) -> io::Result<Self> {
        let root = root.into();
        fs::create_dir_all(root.join("objects")).await?;
        fs::create_dir_all(root.join("tmp")).await?;
        Ok(Self { root })
    }

    fn object_path(&self, key: &str) -> io::Result<PathBuf> {
        if key.len() != 64 || !key.bytes().all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase()) {
            return Err(io::Error::new(io::ErrorKind::InvalidInput, "object keys are 64 lower-case hex digits"));
        }
        Ok(self.root.join("objects").join(&key[..2]).join(key))
    }
}

struct LocalUpload {
    store: LocalStore,
    // Declared before `tmp`: the file is closed before the staging guard removes it.
    file: fs::File,
    tmp: StagingFile,
}

impl BlobStore for LocalStore {
    fn begin(&self) -> BoxFuture<'_, io::Result<Box<dyn BlobUpload>>> {
        Box::pin(async move {
            let (tmp, file) = StagingFile::create(&self.root.join("tmp")).await?;
            Ok(Box::new(LocalUpload { store: self.clone(), file, tmp }) as Box<dyn BlobUpload>)
        })
    }

    fn read<'a>(&'a self, key: &'a str, offset: u64, len: u64) -> BoxFuture<'a, io::Result<BoxReader>> {
        Box::pin(async move {
            let mut file = fs::File::open(self.object_path(key)?).await?;
            file.seek(io::SeekFrom::Start(offset)).await?;
            Ok(Box::pin(file.take(len)) as BoxReader)
        })
    }

    fn delete<'a>(&'a self, key: &'a str) -> BoxFuture<'a, io::Result<()>> {
        Box::pin(async move {
            match fs::remove_file(self.object_path(key)?).await {
                Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
                other => other,
            }
        })
    }

    fn sweep_staging(&self, older_than: std::time::Duration) -> BoxFuture<'_, io::Result<usize>> {
        Box::pin(async move { sweep_dir(&self.root.join("tmp"), older_than).await })
    }
}

impl BlobUpload for LocalUpload {
    fn write<'a>(&'a mut self, bytes: &'a [u8]) -> BoxFuture<'a, io::Result<()>> {
        Box::pin(self.file.write_all(bytes))
    }

    fn commit(self: Box<Self>, sha256_hex: String) -> BoxFuture<'static, io::Result<String>> {
        Box::pin(async move {
            // On any error (or if this future is dropped) `tmp` removes the staging file.
            let Self { store, mut file, tmp } = *self;
            file.flush().await?;
            file.sync_all().await?;
            drop(file);
            let dest = store.object_path(&sha256_hex)?;
            let dir = dest.parent().map(Path::to_path_buf).unwrap_or_default();
            fs::create_dir_all(&dir).await?;
            fs::rename(tmp.path(), &dest).await?;
            tmp.keep();
            // Make the rename itself durable.
            fs::File::open(&dir).await?.sync_all().await?;
            Ok(sha256_hex)
        })
    }

    fn abort(self: Box<Self>) -> BoxFuture<'static, ()> {
        // Dropping the upload removes its staging file.
        drop(self);
        Box::pin(async {})
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::storage::VerifyingReader;
    use sha2::{Digest, Sha256};

    #[tokio::test]
    async fn write_commit_read_verify_delete() {
        let dir = std::env::temp_dir().join(format!("pramana-local-{}", uuid::Uuid::new_v4()));
        let store = LocalStore::open(&dir).await.unwrap();
        let data = b"hello, objects".repeat(1000);
        let mut up = store.begin().await.unwrap();
        up.write(&data[..100]).await.unwrap();
        up.write(&data[100..]).await.unwrap();
        let key = up.commit(hex::encode(Sha256::digest(&data))).await.unwrap();
        assert_eq!(std::fs::read_dir(dir.join("tmp")).unwrap().count(), 0, "nothing left in staging");

        let mut ranged = String::new();
        store.read(&key, 7, 7).await.unwrap().read_to_string(&mut ranged).await.unwrap();
        assert_eq!(ranged, "objects");
        let mut all = Vec::new();
        let reader = store.read(&key, 0, data.len() as u64).await.unwrap();
        VerifyingReader::new(reader, Sha256::digest(&data).into()).read_to_end(&mut all).await.unwrap();
        assert_eq!(all, data);

        // Corrupt the stored bytes: a verified read fails at the end.
        let path = store.object_path(&key).unwrap();
        let mut bytes = std::fs::read(&path).unwrap();
        bytes[3] ^= 1;
        std::fs::write(&path, bytes).unwrap();
        let reader = store.read(&key, 0, data.len() as u64).await.unwrap();
        let err = VerifyingReader::new(reader, Sha256::digest(&data).into()).read_to_end(&mut Vec::new()).await;
        assert_eq!(err.unwrap_err().kind(), io::ErrorKind::InvalidData);

        store.delete(&key).await.unwrap();
        store.delete(&key).await.unwrap();
        let up = store.begin().await.unwrap();
        up.abort().await;
        assert_eq!(std::fs::read_dir(dir.join("tmp")).unwrap().count(), 0);
        let mut up = store.begin().await.unwrap();
        up.write(b"some bytes").await.unwrap();
        drop(up);
        assert_eq!(std::fs::read_dir(dir.join("tmp")).unwrap().count(), 0, "a dropped upload leaves nothing staged");
        assert!(store.read("../etc/passwd", 0, 1).await.is_err());

        // The sweep removes old staging files only.
        let day = std::time::Duration::from_secs(86_400);
        let old = dir.join("tmp").join("old.part");
        std::fs::File::create(&old).unwrap().set_modified(std::time::SystemTime::now() - 2 * day).unwrap();
        std::fs::write(dir.join("tmp").join("fresh.part"), b"in flight").unwrap();
        std::fs::write(dir.join("tmp").join("notes.txt"), b"not ours").unwrap();
        assert_eq!(store.sweep_staging(day).await.unwrap(), 1);
        assert!(!old.exists());
        assert_eq!(std::fs::read_dir(dir.join("tmp")).unwrap().count(), 2);
        std::fs::remove_dir_all(dir).unwrap();
    }
}
