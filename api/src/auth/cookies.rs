//! The web portal's session cookies. The refresh token travels in an `HttpOnly; Secure;
//! SameSite=Strict` cookie scoped to `/v1/auth`, so page script can never read it; beside it a
//! readable CSRF cookie, derived from the refresh token, which `POST /v1/auth/refresh` wants
//! repeated in the `X-CSRF-Token` header (a double-submit token bound to the session: a forged
//! cross-site request can neither read it nor compute it).

use axum::http::{HeaderMap, HeaderValue, header};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest as _, Sha256};

use crate::error::{ApiError, ApiResult};

/// The refresh-token cookie.
pub const REFRESH_COOKIE: &str = "pramana_refresh";
/// The readable CSRF cookie.
pub const CSRF_COOKIE: &str = "pramana_csrf";
/// The header that repeats the CSRF cookie.
pub const CSRF_HEADER: &str = "x-csrf-token";

/// A cookie's value in the request's `Cookie` headers.
pub fn read(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_owned())
}

/// The CSRF token that goes with a refresh token.
pub fn csrf_token(refresh_token: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::new().chain_update(b"pramana-csrf-v1\0").chain_update(refresh_token).finalize())
}

/// `Set-Cookie` values for a new refresh token (valid `max_age_secs`).
pub fn set(refresh_token: &str, max_age_secs: u64) -> [HeaderValue; 2] {
    let refresh = format!(
        "{REFRESH_COOKIE}={refresh_token}; Path=/v1/auth; Max-Age={max_age_secs}; HttpOnly; Secure; SameSite=Strict"
    );
    let csrf =
        format!("{CSRF_COOKIE}={}; Path=/; Max-Age={max_age_secs}; Secure; SameSite=Strict", csrf_token(refresh_token));
    [refresh, csrf].map(|c| HeaderValue::try_from(c).expect("cookie values are URL-safe base64"))
}

/// `Set-Cookie` values that delete both cookies.
pub fn clear() -> [HeaderValue; 2] {
    [
        HeaderValue::from_static("pramana_refresh=; Path=/v1/auth; Max-Age=0; HttpOnly; Secure; SameSite=Strict"),
        HeaderValue::from_static("pramana_csrf=; Path=/; Max-Age=0; Secure; SameSite=Strict"),
    ]
}

/// The refresh token from the cookie, once the `X-CSRF-Token` header proves the caller could
/// read the CSRF cookie. No cookie: 401; a missing or wrong header: 403 `csrf_failed`.
pub fn refresh_token(headers: &HeaderMap) -> ApiResult<String> {
    let token = read(headers, REFRESH_COOKIE).filter(|t| !t.is_empty()).ok_or(ApiError::Unauthorized)?;
    let sent = headers.get(CSRF_HEADER).and_then(|v| v.to_str().ok()).unwrap_or_default();
    // Compare digests, so the time taken says nothing about the expected value.
    if Sha256::digest(sent) != Sha256::digest(csrf_token(&token)) {
        return Err(ApiError::BadRequest {
            status: axum::http::StatusCode::FORBIDDEN,
            code: "csrf_failed",
            message: format!("the {CSRF_HEADER} header must repeat the {CSRF_COOKIE} cookie"),
        });
    }
    Ok(token)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_one_cookie_among_many() {
        let mut h = HeaderMap::new();
        h.append(header::COOKIE, HeaderValue::from_static("a=1; pramana_refresh=tok; b=2"));
        assert_eq!(read(&h, REFRESH_COOKIE).as_deref(), Some("tok"));
        assert_eq!(read(&h, CSRF_COOKIE), None);
    }

    #[test]
    fn csrf_must_match_the_refresh_cookie() {
        let mut h = HeaderMap::new();
        h.append(header::COOKIE, HeaderValue::from_static("pramana_refresh=tok"));
        assert!(matches!(refresh_token(&h), Err(ApiError::BadRequest { code: "csrf_failed", .. })));
        h.insert(CSRF_HEADER, HeaderValue::from_str(&csrf_token("other")).unwrap());
        assert!(refresh_token(&h).is_err());
        h.insert(CSRF_HEADER, HeaderValue::from_str(&csrf_token("tok")).unwrap());
        assert_eq!(refresh_token(&h).unwrap(), "tok");
        assert!(matches!(refresh_token(&HeaderMap::new()), Err(ApiError::Unauthorized)));
    }
}
