//! Passwords: argon2id hashes in PHC form (the `argon2` crate's defaults, OWASP's
//! recommended minimum: 19 MiB, 2 passes, 1 lane), the rules a new password must meet,
//! and the rules of a user name.

use argon2::Argon2;
use argon2::password_hash::{PasswordHasher, PasswordVerifier, SaltString};
use jujiao_store::PasswordHash;
use rand::RngCore;

/// Fewest characters a password may have.
pub const MIN_PASSWORD_CHARS: usize = 8;

/// Most bytes a password may have (hashing cost does not depend on it, but a form field
/// of megabytes is no password).
pub const MAX_PASSWORD_BYTES: usize = 1024;

/// Most characters of a user name.
pub const MAX_NAME_CHARS: usize = 64;

/// Hashes a password with argon2id and a fresh random salt. Takes tens of milliseconds
/// by design: call it off the async threads (`spawn_blocking`).
pub fn hash_password(password: &str) -> Result<PasswordHash, String> {
    let mut salt = [0u8; 16];
    rand::rng().fill_bytes(&mut salt);
    let salt = SaltString::encode_b64(&salt).map_err(|e| format!("salt: {e}"))?;
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| PasswordHash(h.to_string()))
        .map_err(|e| format!("hashing failed: {e}"))
}

/// True when `password` matches `hash`; false for a wrong password or a hash that is
/// not a PHC string. Slow by design, like [`hash_password`].
pub fn verify_password(password: &str, hash: &PasswordHash) -> bool {
    let Ok(parsed) = argon2::password_hash::PasswordHash::new(&hash.0) else {
        return false;
    };
    Argon2::default()
        .verify_password(password.as_bytes(), &parsed)
        .is_ok()
}

/// A hash of no one's password, verified against when the name typed is unknown so
/// that a wrong name takes as long as a wrong password.
pub(crate) fn decoy_hash() -> &'static PasswordHash {
    static DECOY: std::sync::OnceLock<PasswordHash> = std::sync::OnceLock::new();
    DECOY.get_or_init(|| {
        hash_password("decoy password, never anyone's")
            .expect("hashing a constant with a random salt cannot fail")
    })
}

/// Checks a new password; the message says what is wrong (never repeating it).
pub fn check_password(password: &str) -> Result<(), String> {
    let n = password.chars().count();
    if n < MIN_PASSWORD_CHARS {
        return Err(format!(
            "密码太短（{n} 个字符），至少 {MIN_PASSWORD_CHARS} 个字符"
        ));
    }
    if password.len() > MAX_PASSWORD_BYTES {
        return Err(format!("密码太长，最多 {MAX_PASSWORD_BYTES} 字节"));
    }
    if password.trim() != password {
        return Err("密码首尾不能有空格".to_owned());
    }
    Ok(())
}

/// Checks a user name: not empty, at most [`MAX_NAME_CHARS`] characters, no spaces or
/// control characters (Chinese names are welcome).
pub fn check_user_name(name: &str) -> Result<(), String> {
    if name.is_empty() {
        return Err("用户名不能为空".to_owned());
    }
    if name.chars().count() > MAX_NAME_CHARS {
        return Err(format!("用户名太长，最多 {MAX_NAME_CHARS} 个字符"));
    }
    if name.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err("用户名不能含空格或控制字符".to_owned());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hash_verifies_only_its_password_and_is_argon2id() {
        let h = hash_password("correct horse").unwrap();
        assert!(h.0.starts_with("$argon2id$v=19$"), "{}", h.0);
        assert!(!h.0.contains("correct horse"));
        assert!(verify_password("correct horse", &h));
        assert!(!verify_password("correct hors", &h));
        assert!(!verify_password(
            "correct horse",
            &PasswordHash("plain".into())
        ));
        // A fresh salt each time.
        assert_ne!(hash_password("correct horse").unwrap(), h);
        assert!(!verify_password("x", decoy_hash()));
    }

    #[test]
    fn password_and_name_rules() {
        assert!(check_password("short").is_err());
        assert!(check_password(" padded-password ").is_err());
        assert!(check_password("长一点的中文密码很好").is_ok());
        let e = check_password("abc").unwrap_err();
        assert!(!e.contains("abc"));
        assert!(check_user_name("张编辑").is_ok());
        assert!(check_user_name("").is_err());
        assert!(check_user_name("a b").is_err());
        assert!(check_user_name(&"x".repeat(65)).is_err());
    }
}
