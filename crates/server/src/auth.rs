//! Authentication: HTTP Basic (argon2id passwords) and bearer tokens (SHA-256 stored).
//!
//! [`Principal`] is an axum extractor: a handler that takes one only runs for an
//! authenticated request. No credentials answers 401 with `WWW-Authenticate: Basic
//! realm="entente"`; wrong, malformed or unknown credentials answer 401 too, with the same
//! body whether the user exists or not. Authentication says who; what they may do is decided
//! by [`crate::access::check`], never here.
//!
//! The helpers the CLI uses: [`hash_password`] (argon2id PHC string), [`mint_token`] (a
//! random token and the SHA-256 the store keeps), [`token_sha256`].
//!
//! The decision a reader may question: **successful verifications are cached for
//! [`CACHE_TTL`]**, keyed by a SHA-256 of the credentials. argon2id is deliberately slow (tens
//! of milliseconds of CPU), and TAXII clients send Basic credentials on every request; without
//! the cache a paging client costs more in password hashing than in serving. The cost: a
//! password change, a token revocation or a role change takes effect within `CACHE_TTL` rather
//! than at once. Failures are never cached (a cache of failures would let an attacker fill
//! memory). The cache holds no secret: only hashes of credentials, and it is bounded.

use std::sync::{Arc, Mutex, OnceLock, Weak};
use std::time::Duration;

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use axum::extract::FromRequestParts;
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use base64::Engine as _;
use entente_store::{Role, Store, User};
use sha2::{Digest, Sha256};

use crate::AppState;
use crate::error::ApiError;
use crate::expiring::Expiring;

/// How long a successful verification is trusted without asking the store again.
pub const CACHE_TTL: Duration = Duration::from_secs(60);

/// Most cached verifications kept; beyond it, expired entries are dropped, then all.
const CACHE_MAX: usize = 10_000;

/// Who is making a request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Principal {
    /// The user's login name.
    pub user: String,
    /// The organisation the user belongs to.
    pub organisation: String,
    /// The user's role.
    pub role: Role,
    /// The purpose the request declares (the [`PURPOSE_HEADER`] header), when it declares one.
    /// The sharing rules refuse reading intelligence without one.
    pub purpose: Option<String>,
}

/// The request header that declares the purpose of a request (`Entente-Purpose:
/// counter-terrorism-investigation`). Not `Purpose`, which browsers send for prefetches.
pub const PURPOSE_HEADER: &str = "entente-purpose";

/// Longest purpose accepted, in bytes.
pub const MAX_PURPOSE_LEN: usize = 128;

/// Reads the declared purpose of a request: `None` when absent; a 400 when it is not a short
/// token of lowercase letters, digits, `-`, `_`, `.` or `:`.
pub fn purpose_of(headers: &axum::http::HeaderMap) -> Result<Option<String>, ApiError> {
    let Some(v) = headers.get(PURPOSE_HEADER) else {
        return Ok(None);
    };
    let bad = || {
        ApiError::BadRequest(format!(
            "the {PURPOSE_HEADER} header must be a purpose name of at most {MAX_PURPOSE_LEN} \
             characters: lowercase letters, digits, '-', '_', '.' or ':'"
        ))
    };
    let s = v.to_str().map_err(|_| bad())?.trim();
    if is_purpose_name(s) {
        Ok(Some(s.to_owned()))
    } else {
        Err(bad())
    }
}

/// Whether `s` is a purpose name: 1 to [`MAX_PURPOSE_LEN`] lowercase letters, digits, `-`,
/// `_`, `.` or `:`.
pub fn is_purpose_name(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= MAX_PURPOSE_LEN
        && s.bytes().all(|b| {
            b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'-' | b'_' | b'.' | b':')
        })
}

impl Principal {
    /// Whether the principal administers the node.
    pub fn is_admin(&self) -> bool {
        self.role == Role::Admin
    }

    fn from_user(u: User) -> Principal {
        Principal {
            user: u.name,
            organisation: u.organisation,
            role: u.role,
            purpose: None,
        }
    }
}

/// Hashes a password as an argon2id PHC string (random salt, the crate's default cost).
pub fn hash_password(password: &str) -> String {
    let salt = SaltString::generate(&mut argon2::password_hash::rand_core::OsRng);
    argon2::Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .expect("argon2id with default parameters and a generated salt cannot fail")
        .to_string()
}

/// Whether `password` matches an argon2 PHC string. A malformed hash never matches.
pub fn verify_password(password: &str, phc: &str) -> bool {
    match PasswordHash::new(phc) {
        Ok(h) => argon2::Argon2::default()
            .verify_password(password.as_bytes(), &h)
            .is_ok(),
        Err(_) => false,
    }
}

/// Mints an API token: 32 random bytes, base64url. Returns `(token, sha256_hex)`; show the
/// token once, store only the hash ([`entente_store::ApiToken::sha256`]).
pub fn mint_token() -> (String, String) {
    use rand::RngCore as _;
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    let token = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes);
    let sha = token_sha256(&token);
    (token, sha)
}

/// The lowercase hex SHA-256 of a token, as the store keys tokens.
pub fn token_sha256(token: &str) -> String {
    hex(&Sha256::digest(token.as_bytes()))
}

fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = write!(s, "{b:02x}");
    }
    s
}

/// A PHC string verified against when the user does not exist, so that an unknown user
/// costs the same time as a wrong password (no user enumeration by timing).
fn dummy_hash() -> &'static str {
    static DUMMY: OnceLock<String> = OnceLock::new();
    DUMMY.get_or_init(|| hash_password("entente-dummy-password"))
}

enum Credentials {
    Basic { user: String, password: String },
    Bearer(String),
}

fn parse_authorization(value: &str) -> Result<Credentials, ApiError> {
    let (scheme, rest) = value
        .trim()
        .split_once(' ')
        .ok_or(ApiError::InvalidCredentials)?;
    let rest = rest.trim();
    if scheme.eq_ignore_ascii_case("basic") {
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(rest)
            .map_err(|_| ApiError::InvalidCredentials)?;
        let text = String::from_utf8(decoded).map_err(|_| ApiError::InvalidCredentials)?;
        let (user, password) = text.split_once(':').ok_or(ApiError::InvalidCredentials)?;
        if user.is_empty() {
            return Err(ApiError::InvalidCredentials);
        }
        Ok(Credentials::Basic {
            user: user.to_owned(),
            password: password.to_owned(),
        })
    } else if scheme.eq_ignore_ascii_case("bearer") && !rest.is_empty() {
        Ok(Credentials::Bearer(rest.to_owned()))
    } else {
        Err(ApiError::InvalidCredentials)
    }
}

struct CacheEntry {
    /// The store the verification was made against. Holding a `Weak` keeps the allocation's
    /// address from being reused by another store while the entry lives, so the address in
    /// the key identifies one store (tests run several nodes in one process).
    store: Weak<dyn Store>,
    principal: Principal,
}

type CacheKey = (usize, [u8; 32]);

fn cache() -> &'static Mutex<Expiring<CacheKey, CacheEntry>> {
    static CACHE: OnceLock<Mutex<Expiring<CacheKey, CacheEntry>>> = OnceLock::new();
    CACHE.get_or_init(|| Mutex::new(Expiring::new(CACHE_TTL, CACHE_MAX)))
}

fn store_addr(store: &Arc<dyn Store>) -> usize {
    Arc::as_ptr(store) as *const () as usize
}

fn cache_key(store: &Arc<dyn Store>, creds: &Credentials) -> CacheKey {
    let mut h = Sha256::new();
    match creds {
        Credentials::Basic { user, password } => {
            h.update(b"basic\0");
            h.update(user.as_bytes());
            h.update(b"\0");
            h.update(password.as_bytes());
        }
        Credentials::Bearer(t) => {
            h.update(b"bearer\0");
            h.update(t.as_bytes());
        }
    }
    (store_addr(store), h.finalize().into())
}

fn cache_get(store: &Arc<dyn Store>, key: &CacheKey) -> Option<Principal> {
    let map = cache().lock().unwrap_or_else(|p| p.into_inner());
    let e = map.get(key)?;
    let same_store = e.store.upgrade().is_some_and(|s| Arc::ptr_eq(&s, store));
    same_store.then(|| e.principal.clone())
}

fn cache_put(store: &Arc<dyn Store>, key: CacheKey, principal: Principal) {
    // An entry of a store since dropped is never served (`cache_get` checks the store) and
    // goes when it expires, or when the cache is full.
    cache().lock().unwrap_or_else(|p| p.into_inner()).insert(
        key,
        CacheEntry {
            store: Arc::downgrade(store),
            principal,
        },
    );
}

/// Authenticates the credentials of one `Authorization` header value against the store.
pub async fn authenticate(
    store: &Arc<dyn Store>,
    authorization: &str,
) -> Result<Principal, ApiError> {
    let creds = parse_authorization(authorization)?;
    let key = cache_key(store, &creds);
    if let Some(p) = cache_get(store, &key) {
        return Ok(p);
    }
    let principal = match creds {
        Credentials::Bearer(token) => match store.user_by_token(&token_sha256(&token)).await {
            Ok(u) => Principal::from_user(u),
            Err(entente_store::Error::NotFound(_)) => return Err(ApiError::InvalidCredentials),
            Err(e) => return Err(e.into()),
        },
        Credentials::Basic { user, password } => {
            let found = match store.user(&user).await {
                Ok(u) => Some(u),
                Err(entente_store::Error::NotFound(_)) => None,
                Err(e) => return Err(e.into()),
            };
            let phc = found
                .as_ref()
                .and_then(|u| u.password_hash.clone())
                .unwrap_or_else(|| dummy_hash().to_owned());
            // argon2 is CPU-bound for tens of milliseconds: keep it off the async workers.
            let ok = tokio::task::spawn_blocking(move || verify_password(&password, &phc))
                .await
                .map_err(ApiError::internal)?;
            match found {
                Some(u) if ok && u.password_hash.is_some() => Principal::from_user(u),
                _ => return Err(ApiError::InvalidCredentials),
            }
        }
    };
    let mut principal = principal;
    principal.purpose = store.default_purpose(&principal.user).await?;
    cache_put(store, key, principal.clone());
    Ok(principal)
}

impl FromRequestParts<AppState> for Principal {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let Some(value) = parts.headers.get(AUTHORIZATION) else {
            return Err(ApiError::MissingCredentials);
        };
        let value = value.to_str().map_err(|_| ApiError::InvalidCredentials)?;
        let mut principal = authenticate(&state.store, value).await?;
        // The header overrides the credential's default purpose.
        if let Some(p) = purpose_of(&parts.headers)? {
            principal.purpose = Some(p);
        }
        Ok(principal)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn password_hash_is_argon2id_and_verifies() {
        let h = hash_password("correct horse");
        assert!(h.starts_with("$argon2id$"), "{h}");
        assert!(verify_password("correct horse", &h));
        assert!(!verify_password("wrong", &h));
        assert!(!verify_password("x", "not a phc string"));
        assert_ne!(hash_password("correct horse"), h, "salts differ");
    }

    #[test]
    fn tokens_are_random_and_hashed() {
        let (t1, h1) = mint_token();
        let (t2, _) = mint_token();
        assert_ne!(t1, t2);
        assert_eq!(t1.len(), 43);
        assert_eq!(h1, token_sha256(&t1));
        assert_eq!(h1.len(), 64);
        assert_eq!(
            token_sha256("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn authorization_parsing() {
        let b = base64::engine::general_purpose::STANDARD.encode("alice:pa:ss");
        match parse_authorization(&format!("Basic {b}")).unwrap() {
            Credentials::Basic { user, password } => {
                assert_eq!(user, "alice");
                assert_eq!(password, "pa:ss");
            }
            _ => panic!("expected basic"),
        }
        assert!(matches!(
            parse_authorization("bearer abc").unwrap(),
            Credentials::Bearer(t) if t == "abc"
        ));
        for bad in ["Basic", "Basic !!!", "Digest x", "Bearer ", "Basic Og=="] {
            assert!(parse_authorization(bad).is_err(), "{bad}");
        }
    }
}
