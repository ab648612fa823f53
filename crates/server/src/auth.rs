//! Authentication: HTTP Basic (argon2id passwords) and bearer tokens (SHA-256 stored).
