//! Running the real `pramana` binary from tests.

use std::process::Command;

use serde_json::Value;

/// Runs `pramana --json ARGS` with `envs` (and without the RPC/contract defaults from the
/// environment, unless `envs` sets them); returns (exit code, the last stdout line as JSON, stderr).
pub fn pramana_json(args: &[&str], envs: &[(&str, &str)]) -> (i32, Value, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_pramana"))
        .arg("--json")
        .args(args)
        .env_remove("PRAMANA_RPC")
        .env_remove("PRAMANA_CONTRACT")
        .envs(envs.iter().copied())
        .output()
        .expect("run pramana");
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    let json = stdout.lines().last().and_then(|l| serde_json::from_str(l).ok()).unwrap_or(Value::Null);
    (out.status.code().unwrap_or(-1), json, String::from_utf8_lossy(&out.stderr).to_string())
}

/// [`pramana_json`] off the async runtime, as the user whose `PRAMANA_HOME` is `home`, against
/// `api`, with a passphrase and a password set.
#[allow(dead_code, reason = "each test binary includes this module; not all use this")]
pub async fn pramana_at(api: &str, home: &std::path::Path, args: &[&str]) -> (i32, Value, String) {
    let (api, home) = (api.to_owned(), home.to_str().expect("a UTF-8 path").to_owned());
    let args: Vec<String> = args.iter().map(|a| (*a).to_owned()).collect();
    tokio::task::spawn_blocking(move || {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        pramana_json(
            &args,
            &[
                ("PRAMANA_API", &api),
                ("PRAMANA_HOME", &home),
                ("PRAMANA_PASSPHRASE", "a passphrase for the tests"),
                ("PRAMANA_PASSWORD", "a long enough password"),
            ],
        )
    })
    .await
    .expect("the pramana process")
}
