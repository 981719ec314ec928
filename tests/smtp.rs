//! A real SMTP server for the notification mail tests: aiosmtpd (installed by
//! `scripts/smtp.sh` into a cached virtualenv) running `scripts/smtp_sink.py`, which writes each
//! message it receives to a directory the test reads.

use anyhow::Context as _;

/// A running SMTP server; stopped when dropped.
#[derive(Debug)]
pub struct Smtp {
    child: std::process::Child,
    /// Its port on 127.0.0.1.
    pub port: u16,
    /// Where received messages land (`<n>.eml`).
    pub dir: std::path::PathBuf,
}

impl Drop for Smtp {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Smtp {
    /// The messages received so far, in order, as text.
    pub fn messages(&self) -> Vec<String> {
        let mut files: Vec<(u64, std::path::PathBuf)> = std::fs::read_dir(&self.dir)
            .map(|rd| {
                rd.filter_map(Result::ok)
                    .filter_map(|e| {
                        let p = e.path();
                        let n = p.file_name()?.to_str()?.strip_suffix(".eml")?.parse().ok()?;
                        Some((n, p))
                    })
                    .collect()
            })
            .unwrap_or_default();
        files.sort();
        files.into_iter().filter_map(|(_, p)| std::fs::read_to_string(p).ok()).collect()
    }
}

/// The virtualenv's python, installing it on first use (`scripts/smtp.sh`, idempotent).
fn python() -> anyhow::Result<std::path::PathBuf> {
    static PY: std::sync::OnceLock<Result<std::path::PathBuf, String>> = std::sync::OnceLock::new();
    PY.get_or_init(|| {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        let out = std::process::Command::new("bash")
            .arg(root.join("scripts/smtp.sh"))
            .stdin(std::process::Stdio::null())
            .stderr(std::process::Stdio::inherit())
            .output()
            .map_err(|e| format!("running scripts/smtp.sh: {e}"))?;
        if !out.status.success() {
            return Err("scripts/smtp.sh failed".to_owned());
        }
        Ok(std::path::PathBuf::from(String::from_utf8_lossy(&out.stdout).trim()))
    })
    .clone()
    .map_err(anyhow::Error::msg)
}

/// Starts an SMTP server on a free port.
pub async fn spawn_smtp() -> anyhow::Result<Smtp> {
    spawn_smtp_on(super::free_port()?).await
}

/// Starts an SMTP server on `port` and waits until it accepts connections.
pub async fn spawn_smtp_on(port: u16) -> anyhow::Result<Smtp> {
    let py = python()?;
    let dir = std::env::temp_dir().join(format!("pramana-smtp-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir)?;
    let sink = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../scripts/smtp_sink.py");
    let child = std::process::Command::new(&py)
        .arg(sink)
        .arg("--port")
        .arg(port.to_string())
        .arg("--dir")
        .arg(&dir)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .spawn()
        .with_context(|| format!("starting {}", py.display()))?;
    let smtp = Smtp { child, port, dir };
    for _ in 0..200 {
        if tokio::net::TcpStream::connect(("127.0.0.1", port)).await.is_ok() {
            return Ok(smtp);
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    anyhow::bail!("the SMTP server did not listen on {port}")
}
