//! S3-compatible backend (AWS S3, Garage, MinIO, …) through the `object_store` crate. Uploads
//! stream as multipart uploads into `tmp/<uuid>`; `commit` copies to `objects/<sha256>` and
//! deletes the staging object (S3 has no rename).

use std::io;
use std::sync::Arc;

use futures::TryStreamExt as _;
use object_store::aws::AmazonS3Builder;
use object_store::path::Path;
use object_store::{GetOptions, GetRange, ObjectStore, ObjectStoreExt as _, WriteMultipart};

use super::{BlobStore, BlobUpload, BoxFuture, BoxReader};

/// Objects in an S3 bucket.
#[derive(Debug, Clone)]
pub struct S3Store {
    store: Arc<dyn ObjectStore>,
}

/// Connection settings for [`S3Store`].
#[derive(Debug, Clone)]
pub struct S3Config<'a> {
    /// Endpoint URL, e.g. `http://127.0.0.1:3900`; empty for AWS itself.
    pub endpoint: &'a str,
    /// Bucket.
    pub bucket: &'a str,
    /// Region.
    pub region: &'a str,
    /// Access key id.
    pub access_key_id: &'a str,
    /// Secret access key.
    pub secret_access_key: &'a str,
}

fn to_io(e: object_store::Error) -> io::Error {
    match e {
        object_store::Error::NotFound { .. } => io::Error::new(io::ErrorKind::NotFound, e.to_string()),
        other => io::Error::other(other.to_string()),
    }
}

fn object_path(key: &str) -> io::Result<Path> {
    if key.len() != 64 || !key.bytes().all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase()) {
        return Err(io::Error::new(io::ErrorKind::InvalidInput, "object keys are 64 lower-case hex digits"));
    }
    Ok(Path::from(format!("objects/{key}")))
}

impl S3Store {
    /// Connects (lazily; the first request checks the credentials).
    pub fn new(c: &S3Config<'_>) -> io::Result<Self> {
        let mut b = AmazonS3Builder::new()
            .with_bucket_name(c.bucket)
            .with_region(c.region)
            .with_access_key_id(c.access_key_id)
            .with_secret_access_key(c.secret_access_key);
        if !c.endpoint.is_empty() {
            b = b.with_endpoint(c.endpoint).with_allow_http(c.endpoint.starts_with("http://"));
        }
        let store = b.build().map_err(to_io)?;
        Ok(Self { store: Arc::new(store) })
    }
}

struct S3Upload {
    store: Arc<dyn ObjectStore>,
    tmp: Path,
    writer: WriteMultipart,
}

impl BlobStore for S3Store {
    fn begin(&self) -> BoxFuture<'_, io::Result<Box<dyn BlobUpload>>> {
        Box::pin(async move {
            let tmp = Path::from(format!("tmp/{}", uuid::Uuid::new_v4()));
            let upload = self.store.put_multipart(&tmp).await.map_err(to_io)?;
            Ok(Box::new(S3Upload { store: self.store.clone(), tmp, writer: WriteMultipart::new(upload) })
                as Box<dyn BlobUpload>)
        })
    }

    fn read<'a>(&'a self, key: &'a str, offset: u64, len: u64) -> BoxFuture<'a, io::Result<BoxReader>> {
        Box::pin(async move {
            let opts = GetOptions { range: Some(GetRange::Bounded(offset..offset + len)), ..Default::default() };
            let result = self.store.get_opts(&object_path(key)?, opts).await.map_err(to_io)?;
            let stream = result.into_stream().map_err(to_io);
            Ok(Box::pin(tokio_util::io::StreamReader::new(stream)) as BoxReader)
        })
    }

    fn delete<'a>(&'a self, key: &'a str) -> BoxFuture<'a, io::Result<()>> {
        Box::pin(async move {
            match self.store.delete(&object_path(key)?).await {
                Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
                Err(e) => Err(to_io(e)),
            }
        })
    }
}

impl BlobUpload for S3Upload {
    fn write<'a>(&'a mut self, bytes: &'a [u8]) -> BoxFuture<'a, io::Result<()>> {
        Box::pin(async move {
            // Bound the parts in flight, so memory stays at a few part sizes.
            self.writer.wait_for_capacity(2).await.map_err(to_io)?;
            self.writer.write(bytes);
            Ok(())
        })
    }

    fn commit(self: Box<Self>, sha256_hex: String) -> BoxFuture<'static, io::Result<String>> {
        Box::pin(async move {
            let Self { store, tmp, writer } = *self;
            writer.finish().await.map_err(to_io)?;
            let dest = object_path(&sha256_hex)?;
            let copied = store.copy(&tmp, &dest).await.map_err(to_io);
            let _ = store.delete(&tmp).await;
            copied?;
            Ok(sha256_hex)
        })
    }

    fn abort(self: Box<Self>) -> BoxFuture<'static, ()> {
        Box::pin(async move {
            let _ = self.writer.abort().await;
        })
    }
}
