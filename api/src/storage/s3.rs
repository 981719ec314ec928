//! S3-compatible backend (AWS S3, Garage, MinIO, …) through the `object_store` crate. Uploads
//! stream as multipart uploads into `tmp/<uuid>`; `commit` copies to `objects/<sha256>` and
//! deletes the staging object (S3 has no rename). An upload dropped before `commit` aborts its
//! multipart upload, and a staging object is deleted however `commit` ends, in spawned tasks;
//! `sweep_staging` removes old staging objects and aborts old unfinished multipart uploads under
//! `tmp/` (listed with a signed `ListMultipartUploads`, which `object_store` does not offer).

use std::io;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use chrono::{DateTime, Utc};
use futures::TryStreamExt as _;
use object_store::aws::{AmazonS3, AmazonS3Builder, AwsAuthorizer, AwsCredential};
use object_store::client::{HttpRequest, HttpRequestBody};
use object_store::multipart::MultipartStore as _;
use object_store::path::Path;
use object_store::{GetOptions, GetRange, ObjectStore as _, ObjectStoreExt as _, WriteMultipart};

use super::{BlobStore, BlobUpload, BoxFuture, BoxReader, spawn_cleanup};

/// Where uploads are staged.
const STAGING_PREFIX: &str = "tmp/";

/// Objects in an S3 bucket.
#[derive(Debug, Clone)]
pub struct S3Store {
    store: Arc<AmazonS3>,
    http: reqwest::Client,
    /// `<endpoint>/<bucket>` (path-style, as `object_store` addresses it).
    bucket_url: String,
    region: String,
    credential: Arc<AwsCredential>,
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

/// Something staged under `tmp/`: a finished staging object, or an unfinished multipart upload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Staged {
    /// The object key (`tmp/<uuid>`).
    pub key: String,
    /// The multipart upload's id; `None` for a finished staging object.
    pub upload_id: Option<String>,
    /// When it was created (multipart upload) or last written (object).
    pub since: DateTime<Utc>,
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
        let endpoint = if c.endpoint.is_empty() {
            format!("https://s3.{}.amazonaws.com", c.region)
        } else {
            c.endpoint.trim_end_matches('/').to_owned()
        };
        Ok(Self {
            store: Arc::new(store),
            http: reqwest::Client::builder().timeout(Duration::from_secs(30)).build().map_err(io::Error::other)?,
            bucket_url: format!("{endpoint}/{}", c.bucket),
            region: c.region.to_owned(),
            credential: Arc::new(AwsCredential {
                key_id: c.access_key_id.to_owned(),
                secret_key: c.secret_access_key.to_owned(),
                token: None,
            }),
        })
    }

    /// Everything staged under `tmp/`: finished staging objects and unfinished multipart uploads.
    pub async fn staging(&self) -> io::Result<Vec<Staged>> {
        let mut out: Vec<Staged> = self
            .store
            .list(Some(&Path::from(STAGING_PREFIX)))
            .map_ok(|m| Staged { key: m.location.to_string(), upload_id: None, since: m.last_modified })
            .try_collect()
            .await
            .map_err(to_io)?;
        let mut markers: Option<(String, String)> = None;
        loop {
            let mut query = vec![("prefix", STAGING_PREFIX.to_owned()), ("uploads", String::new())];
            if let Some((key, id)) = markers.take() {
                query.extend([("key-marker", key), ("upload-id-marker", id)]);
            }
            let page = self.signed_get(query).await?;
            for upload in page.split("<Upload>").skip(1) {
                let (Some(key), Some(id), Some(initiated)) =
                    (xml_text(upload, "Key"), xml_text(upload, "UploadId"), xml_text(upload, "Initiated"))
                else {
                    continue;
                };
                let since = DateTime::parse_from_rfc3339(&initiated)
                    .map_err(|e| io::Error::other(format!("ListMultipartUploads: Initiated {initiated}: {e}")))?;
                out.push(Staged { key, upload_id: Some(id), since: since.with_timezone(&Utc) });
            }
            let truncated = xml_text(&page, "IsTruncated").is_some_and(|t| t == "true");
            match (xml_text(&page, "NextKeyMarker"), xml_text(&page, "NextUploadIdMarker")) {
                (Some(key), Some(id)) if truncated => markers = Some((key, id)),
                _ => return Ok(out),
            }
        }
    }

    /// A SigV4-signed `GET` of the bucket with `query`; the response body.
    async fn signed_get(&self, mut query: Vec<(&str, String)>) -> io::Result<String> {
        query.sort();
        let query: Vec<String> = query.iter().map(|(k, v)| format!("{k}={}", uri_encode(v))).collect();
        let url = format!("{}?{}", self.bucket_url, query.join("&"));
        let mut req = HttpRequest::new(HttpRequestBody::empty());
        *req.uri_mut() = url.parse().map_err(io::Error::other)?;
        AwsAuthorizer::new(&self.credential, "s3", &self.region).try_authorize(&mut req, None).map_err(to_io)?;
        let mut get = self.http.get(&url);
        for (name, value) in req.headers() {
            get = get.header(name, value);
        }
        let resp = get.send().await.map_err(io::Error::other)?;
        let status = resp.status();
        let body = resp.text().await.map_err(io::Error::other)?;
        if !status.is_success() {
            return Err(io::Error::other(format!("s3 GET ?{}: {status} {body}", query.join("&"))));
        }
        Ok(body)
    }
}

/// Percent-encodes everything but RFC 3986 unreserved characters (as SigV4 wants).
fn uri_encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// The text of the first `<name>` element in `xml`, unescaped.
fn xml_text(xml: &str, name: &str) -> Option<String> {
    let start = xml.find(&format!("<{name}>"))? + name.len() + 2;
    let len = xml[start..].find(&format!("</{name}>"))?;
    let raw = &xml[start..start + len];
    Some(
        raw.replace("&lt;", "<")
            .replace("&gt;", ">")
            .replace("&quot;", "\"")
            .replace("&apos;", "'")
            .replace("&amp;", "&"),
    )
}

struct S3Upload {
    store: Arc<AmazonS3>,
    tmp: Path,
    /// `None` once finished or aborted.
    writer: Option<WriteMultipart>,
}

impl Drop for S3Upload {
    fn drop(&mut self) {
        if let Some(writer) = self.writer.take() {
            let tmp = self.tmp.clone();
            spawn_cleanup(async move {
                if let Err(e) = writer.abort().await {
                    tracing::warn!(%tmp, error = %e, "multipart upload not aborted; the start-up sweep will");
                }
            });
        }
    }
}

/// A finished staging object, deleted when dropped (in a spawned task) unless deleted already.
struct StagingObject {
    store: Arc<AmazonS3>,
    path: Option<Path>,
}

impl StagingObject {
    async fn delete(mut self) {
        if let Some(path) = self.path.take() {
            let _ = self.store.delete(&path).await;
        }
    }
}

impl Drop for StagingObject {
    fn drop(&mut self) {
        if let Some(path) = self.path.take() {
            let store = self.store.clone();
            spawn_cleanup(async move {
                let _ = store.delete(&path).await;
            });
        }
    }
}

impl BlobStore for S3Store {
    fn begin(&self) -> BoxFuture<'_, io::Result<Box<dyn BlobUpload>>> {
        Box::pin(async move {
            let tmp = Path::from(format!("{STAGING_PREFIX}{}", uuid::Uuid::new_v4()));
            let upload = self.store.put_multipart(&tmp).await.map_err(to_io)?;
            Ok(Box::new(S3Upload { store: self.store.clone(), tmp, writer: Some(WriteMultipart::new(upload)) })
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

    fn sweep_staging(&self, older_than: Duration) -> BoxFuture<'_, io::Result<usize>> {
        Box::pin(async move {
            let cutoff: DateTime<Utc> =
                SystemTime::now().checked_sub(older_than).unwrap_or(SystemTime::UNIX_EPOCH).into();
            let mut removed = 0;
            for staged in self.staging().await? {
                if staged.since >= cutoff {
                    continue;
                }
                let path = Path::from(staged.key.as_str());
                let done = match &staged.upload_id {
                    Some(id) => self.store.abort_multipart(&path, id).await,
                    None => self.store.delete(&path).await,
                };
                match done {
                    Ok(()) => removed += 1,
                    Err(object_store::Error::NotFound { .. }) => {}
                    Err(e) => return Err(to_io(e)),
                }
            }
            Ok(removed)
        })
    }
}

impl BlobUpload for S3Upload {
    fn write<'a>(&'a mut self, bytes: &'a [u8]) -> BoxFuture<'a, io::Result<()>> {
        Box::pin(async move {
            let writer = self.writer.as_mut().ok_or_else(|| io::Error::other("the upload has ended"))?;
            // Bound the parts in flight, so memory stays at a few part sizes.
            writer.wait_for_capacity(2).await.map_err(to_io)?;
            writer.write(bytes);
            Ok(())
        })
    }

    fn commit(mut self: Box<Self>, sha256_hex: String) -> BoxFuture<'static, io::Result<String>> {
        Box::pin(async move {
            let writer = self.writer.take().ok_or_else(|| io::Error::other("the upload has ended"))?;
            // From here the bytes become the object `tmp`, deleted however this ends. (A failed
            // `finish` aborts the multipart upload itself.)
            let tmp = StagingObject { store: self.store.clone(), path: Some(self.tmp.clone()) };
            writer.finish().await.map_err(to_io)?;
            let dest = object_path(&sha256_hex)?;
            self.store.copy(&self.tmp, &dest).await.map_err(to_io)?;
            tmp.delete().await;
            Ok(sha256_hex)
        })
    }

    fn abort(mut self: Box<Self>) -> BoxFuture<'static, ()> {
        Box::pin(async move {
            if let Some(writer) = self.writer.take() {
                let _ = writer.abort().await;
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn xml_and_encoding() {
        let page = "<ListMultipartUploadsResult><IsTruncated>false</IsTruncated><Upload><Key>tmp/a&amp;b</Key>\
                    <UploadId>x.y_z</UploadId><Initiated>2026-11-30T10:00:00.000Z</Initiated></Upload>\
                    </ListMultipartUploadsResult>";
        let upload = page.split("<Upload>").nth(1).unwrap();
        assert_eq!(xml_text(upload, "Key").as_deref(), Some("tmp/a&b"));
        assert_eq!(xml_text(upload, "UploadId").as_deref(), Some("x.y_z"));
        assert_eq!(xml_text(page, "IsTruncated").as_deref(), Some("false"));
        assert_eq!(xml_text(page, "NextKeyMarker"), None);
        assert_eq!(uri_encode("tmp/a b~"), "tmp%2Fa%20b~");
    }
}
