//! People of the web app: [`UserStore`], the sub-trait of [`Store`](crate::Store) that
//! keeps users and their [`Role`], sessions, login attempts and the audit log, for
//! SQLite and PostgreSQL alike.
//!
//! The store keeps facts; the web app (`jujiao-web`'s `auth` module) decides policy:
//! when a session has expired, how many failed logins lock an account. Nothing secret
//! is stored in the clear: passwords as argon2id hashes ([`PasswordHash`], made by the
//! caller), sessions by the SHA-256 of their id ([`SessionKey`]); both print `****` in
//! `Debug`.
//!
//! Times are Unix milliseconds in `BIGINT` columns on both backends (migration
//! `0010_users`), so every statement here is the same text for both and one macro
//! implements the trait for [`SqliteStore`] and [`PgStore`].

use crate::error::{Result, StoreError};
use crate::{PgStore, SqliteStore};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use std::fmt;

/// A user's id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct UserId(pub i64);

/// What a user may do in the web app. Ordered: an admin may do all an editor may.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Role {
    /// Reads the briefing and search (also when `[web] public_read = false`).
    Viewer,
    /// Also changes things: runs sources now, composes and issues briefings.
    Editor,
    /// Also reads the audit log and edits briefing series.
    Admin,
}

impl Role {
    /// Every role, lowest first.
    pub const ALL: [Role; 3] = [Role::Viewer, Role::Editor, Role::Admin];

    /// The stored and command-line name: `viewer`, `editor`, `admin`.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Viewer => "viewer",
            Role::Editor => "editor",
            Role::Admin => "admin",
        }
    }

    /// The role for a stored or command-line name.
    pub fn parse(s: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.as_str() == s)
    }

    /// The name staff see: 只读 / 编辑 / 管理员.
    pub fn label(self) -> &'static str {
        match self {
            Role::Viewer => "只读",
            Role::Editor => "编辑",
            Role::Admin => "管理员",
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An argon2id hash in PHC string form (`$argon2id$v=19$…`). Not the password, but
/// still nothing to print: `Debug` shows `****`.
#[derive(Clone, PartialEq, Eq)]
pub struct PasswordHash(pub String);

impl fmt::Debug for PasswordHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PasswordHash(****)")
    }
}

/// The key a session is stored under: the hex SHA-256 of the session id the browser
/// holds (so a copy of the database does not let anyone in). `Debug` shows `****`.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct SessionKey(pub String);

impl fmt::Debug for SessionKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SessionKey(****)")
    }
}

/// A stored user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    pub id: UserId,
    pub name: String,
    pub role: Role,
    pub password_hash: PasswordHash,
    pub is_disabled: bool,
    pub created_at: DateTime<Utc>,
    pub password_changed_at: DateTime<Utc>,
}

/// A user to add ([`UserStore::add_user`]).
#[derive(Debug, Clone)]
pub struct NewUser {
    pub name: String,
    pub role: Role,
    pub password_hash: PasswordHash,
}

/// A session to start ([`UserStore::start_session`]). `Debug` hides the token.
#[derive(Clone)]
pub struct NewSession {
    pub key: SessionKey,
    pub user: UserId,
    /// The session's CSRF token, sent back with every change (a form field or the
    /// `X-CSRF-Token` header). Random, not secret from the session's own pages.
    pub csrf_token: String,
    pub created_at: DateTime<Utc>,
    /// The absolute end of the session, whatever its use.
    pub expires_at: DateTime<Utc>,
}

/// A stored session with its user ([`UserStore::session`]). `Debug` hides the token.
#[derive(Clone)]
pub struct Session {
    pub key: SessionKey,
    pub user: User,
    pub csrf_token: String,
    pub created_at: DateTime<Utc>,
    pub last_seen_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

impl fmt::Debug for NewSession {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NewSession")
            .field("user", &self.user)
            .field("created_at", &self.created_at)
            .field("expires_at", &self.expires_at)
            .finish_non_exhaustive()
    }
}

impl fmt::Debug for Session {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Session")
            .field("user", &self.user)
            .field("created_at", &self.created_at)
            .field("last_seen_at", &self.last_seen_at)
            .field("expires_at", &self.expires_at)
            .finish_non_exhaustive()
    }
}

/// One login attempt ([`UserStore::record_login_attempt`]).
#[derive(Debug, Clone)]
pub struct LoginAttempt {
    /// The name typed (whether or not such a user exists).
    pub name: String,
    /// The client's address.
    pub address: String,
    pub at: DateTime<Utc>,
    pub is_success: bool,
}

/// Recent failed logins ([`UserStore::login_failures`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct LoginFailures {
    /// Failures for the name since the window's start and its last success.
    pub account: u32,
    /// When the latest of them was.
    pub account_last: Option<DateTime<Utc>>,
    /// Failures from the address since the window's start.
    pub address: u32,
    pub address_last: Option<DateTime<Utc>>,
}

/// An entry to append to the audit log: who changed what.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEntry {
    /// The user, when a stored user did it.
    pub user: Option<UserId>,
    /// Who, as shown: the user's name, `管理令牌` (the admin token) or `命令行`.
    pub actor: String,
    /// What kind of change, a stable dotted code (`source.run`, `user.add`, `login`).
    pub action: String,
    /// What it was done to (a source id, a user's name, an issue).
    pub target: String,
    /// What changed, in words (may be empty).
    pub detail: String,
}

/// A stored audit entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditRecord {
    pub id: i64,
    pub at: DateTime<Utc>,
    pub entry: AuditEntry,
}

/// Users, sessions, login attempts and the audit log. Every method is one atomic unit.
#[async_trait]
pub trait UserStore: Send + Sync {
    /// Adds a user; `None` when the name is taken (nothing changes then).
    async fn add_user(&self, user: &NewUser) -> Result<Option<UserId>>;

    /// A user by exact name.
    async fn user_by_name(&self, name: &str) -> Result<Option<User>>;

    /// Every user, by name.
    async fn users(&self) -> Result<Vec<User>>;

    /// Replaces a user's password hash and ends all their sessions; false for an
    /// unknown user.
    async fn set_password(&self, user: UserId, hash: &PasswordHash) -> Result<bool>;

    /// Disables (and ends all sessions of) or enables a user; false for an unknown user.
    async fn set_disabled(&self, user: UserId, is_disabled: bool) -> Result<bool>;

    /// Changes a user's role; false for an unknown user.
    async fn set_role(&self, user: UserId, role: Role) -> Result<bool>;

    /// Stores a new session.
    async fn start_session(&self, session: &NewSession) -> Result<()>;

    /// A session with its user, whatever its age or the user's state (the caller decides
    /// what has expired).
    async fn session(&self, key: &SessionKey) -> Result<Option<Session>>;

    /// Marks a session used at `at`.
    async fn touch_session(&self, key: &SessionKey, at: DateTime<Utc>) -> Result<()>;

    /// Ends a session (logout, expiry); ending an unknown one is not an error.
    async fn end_session(&self, key: &SessionKey) -> Result<()>;

    /// Forgets sessions past `expires_before` or unused since `idle_before`, and login
    /// attempts before `attempts_before`; answers how many sessions went.
    async fn prune_sessions(
        &self,
        expires_before: DateTime<Utc>,
        idle_before: DateTime<Utc>,
        attempts_before: DateTime<Utc>,
    ) -> Result<u64>;

    /// Records a login attempt.
    async fn record_login_attempt(&self, attempt: &LoginAttempt) -> Result<()>;

    /// Failed logins for `name` (since `since` and its last success) and from
    /// `address` (since `since`).
    async fn login_failures(
        &self,
        name: &str,
        address: &str,
        since: DateTime<Utc>,
    ) -> Result<LoginFailures>;

    /// Appends to the audit log, timed `at`.
    async fn record_audit(&self, entry: &AuditEntry, at: DateTime<Utc>) -> Result<i64>;

    /// Audit entries newest first, at most `limit`, with ids below `before` if given.
    async fn audit_log(&self, limit: u32, before: Option<i64>) -> Result<Vec<AuditRecord>>;
}

fn millis(t: DateTime<Utc>) -> i64 {
    t.timestamp_millis()
}

fn corrupt(
    location: &str,
    operation: &'static str,
    what: &'static str,
    detail: String,
) -> StoreError {
    StoreError::Corrupt {
        operation,
        location: location.to_owned(),
        what,
        detail,
    }
}

fn time(location: &str, operation: &'static str, ms: i64) -> Result<DateTime<Utc>> {
    DateTime::from_timestamp_millis(ms)
        .ok_or_else(|| corrupt(location, operation, "time", ms.to_string()))
}

fn role(location: &str, operation: &'static str, text: &str) -> Result<Role> {
    Role::parse(text).ok_or_else(|| corrupt(location, operation, "role", text.to_owned()))
}

fn count(n: i64) -> u32 {
    u32::try_from(n.max(0)).unwrap_or(u32::MAX)
}

const USER_COLUMNS: &str =
    "u.id, u.name, u.role, u.password_hash, u.is_disabled, u.created_at, u.password_changed_at";

/// The statements, the same text on both backends.
mod sql {
    pub(super) const ADD_USER: &str = "INSERT INTO users (name, role, password_hash, is_disabled, \
        created_at, password_changed_at) VALUES ($1, $2, $3, FALSE, $4, $4) \
        ON CONFLICT (name) DO NOTHING RETURNING id";
    pub(super) const SET_PASSWORD: &str =
        "UPDATE users SET password_hash = $2, password_changed_at = $3 WHERE id = $1";
    pub(super) const END_SESSIONS_OF: &str = "DELETE FROM sessions WHERE user_id = $1";
    pub(super) const SET_DISABLED: &str = "UPDATE users SET is_disabled = $2 WHERE id = $1";
    pub(super) const SET_ROLE: &str = "UPDATE users SET role = $2 WHERE id = $1";
    pub(super) const START_SESSION: &str = "INSERT INTO sessions (id_hash, user_id, csrf_token, \
        created_at, last_seen_at, expires_at) VALUES ($1, $2, $3, $4, $4, $5)";
    pub(super) const TOUCH_SESSION: &str =
        "UPDATE sessions SET last_seen_at = $2 WHERE id_hash = $1 AND last_seen_at < $2";
    pub(super) const END_SESSION: &str = "DELETE FROM sessions WHERE id_hash = $1";
    pub(super) const PRUNE_SESSIONS: &str =
        "DELETE FROM sessions WHERE expires_at < $1 OR last_seen_at < $2";
    pub(super) const PRUNE_ATTEMPTS: &str = "DELETE FROM login_attempts WHERE at < $1";
    pub(super) const RECORD_ATTEMPT: &str =
        "INSERT INTO login_attempts (name, address, at, is_success) VALUES ($1, $2, $3, $4)";
    pub(super) const ACCOUNT_FAILURES: &str = "SELECT COUNT(*), MAX(at) FROM login_attempts \
        WHERE name = $1 AND at >= $2 AND NOT is_success AND id > COALESCE((SELECT MAX(id) \
        FROM login_attempts WHERE name = $1 AND is_success), 0)";
    pub(super) const ADDRESS_FAILURES: &str = "SELECT COUNT(*), MAX(at) FROM login_attempts \
        WHERE address = $1 AND at >= $2 AND NOT is_success";
    pub(super) const RECORD_AUDIT: &str = "INSERT INTO audit_log (at, user_id, actor, action, \
        target, detail) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id";
    pub(super) const AUDIT_LOG: &str = "SELECT id, at, user_id, actor, action, target, detail \
        FROM audit_log WHERE id < $1 ORDER BY id DESC LIMIT $2";
}

/// Implements [`UserStore`] for a store type with a `pool` of its backend; the bodies
/// are the same for both, only the row types differ.
macro_rules! user_store_impl {
    ($store:ty, $row:ty) => {
        impl $store {
            fn user_error(
                &self,
                operation: &'static str,
            ) -> impl FnOnce(sqlx::Error) -> StoreError + '_ {
                move |source| StoreError::Query {
                    operation,
                    location: crate::Store::location(self).to_owned(),
                    source,
                }
            }

            fn user_from_row(&self, operation: &'static str, row: &$row) -> Result<User> {
                use sqlx::Row;
                let location = crate::Store::location(self);
                let decode = |e| StoreError::Query {
                    operation,
                    location: location.to_owned(),
                    source: e,
                };
                let role_text: String = row.try_get(2).map_err(decode)?;
                Ok(User {
                    id: UserId(row.try_get(0).map_err(decode)?),
                    name: row.try_get(1).map_err(decode)?,
                    role: role(location, operation, &role_text)?,
                    password_hash: PasswordHash(row.try_get(3).map_err(decode)?),
                    is_disabled: row.try_get(4).map_err(decode)?,
                    created_at: time(location, operation, row.try_get(5).map_err(decode)?)?,
                    password_changed_at: time(
                        location,
                        operation,
                        row.try_get(6).map_err(decode)?,
                    )?,
                })
            }
        }

        #[async_trait]
        impl UserStore for $store {
            async fn add_user(&self, user: &NewUser) -> Result<Option<UserId>> {
                const OP: &str = "adding a user";
                let row: Option<(i64,)> = sqlx::query_as(sql::ADD_USER)
                    .bind(&user.name)
                    .bind(user.role.as_str())
                    .bind(&user.password_hash.0)
                    .bind(millis(Utc::now()))
                    .fetch_optional(&self.pool)
                    .await
                    .map_err(self.user_error(OP))?;
                Ok(row.map(|(id,)| UserId(id)))
            }

            async fn user_by_name(&self, name: &str) -> Result<Option<User>> {
                const OP: &str = "reading a user";
                let row = sqlx::query(&format!(
                    "SELECT {USER_COLUMNS} FROM users u WHERE u.name = $1"
                ))
                .bind(name)
                .fetch_optional(&self.pool)
                .await
                .map_err(self.user_error(OP))?;
                row.map(|r| self.user_from_row(OP, &r)).transpose()
            }

            async fn users(&self) -> Result<Vec<User>> {
                const OP: &str = "listing users";
                let rows = sqlx::query(&format!(
                    "SELECT {USER_COLUMNS} FROM users u ORDER BY u.name"
                ))
                .fetch_all(&self.pool)
                .await
                .map_err(self.user_error(OP))?;
                rows.iter().map(|r| self.user_from_row(OP, r)).collect()
            }

            async fn set_password(&self, user: UserId, hash: &PasswordHash) -> Result<bool> {
                const OP: &str = "setting a password";
                let mut tx = self.pool.begin().await.map_err(self.user_error(OP))?;
                let done = sqlx::query(sql::SET_PASSWORD)
                    .bind(user.0)
                    .bind(&hash.0)
                    .bind(millis(Utc::now()))
                    .execute(&mut *tx)
                    .await
                    .map_err(self.user_error(OP))?
                    .rows_affected();
                sqlx::query(sql::END_SESSIONS_OF)
                    .bind(user.0)
                    .execute(&mut *tx)
                    .await
                    .map_err(self.user_error(OP))?;
                tx.commit().await.map_err(self.user_error(OP))?;
                Ok(done > 0)
            }

            async fn set_disabled(&self, user: UserId, is_disabled: bool) -> Result<bool> {
                const OP: &str = "disabling a user";
                let mut tx = self.pool.begin().await.map_err(self.user_error(OP))?;
                let done = sqlx::query(sql::SET_DISABLED)
                    .bind(user.0)
                    .bind(is_disabled)
                    .execute(&mut *tx)
                    .await
                    .map_err(self.user_error(OP))?
                    .rows_affected();
                if is_disabled {
                    sqlx::query(sql::END_SESSIONS_OF)
                        .bind(user.0)
                        .execute(&mut *tx)
                        .await
                        .map_err(self.user_error(OP))?;
                }
                tx.commit().await.map_err(self.user_error(OP))?;
                Ok(done > 0)
            }

            async fn set_role(&self, user: UserId, role: Role) -> Result<bool> {
                const OP: &str = "changing a role";
                let done = sqlx::query(sql::SET_ROLE)
                    .bind(user.0)
                    .bind(role.as_str())
                    .execute(&self.pool)
                    .await
                    .map_err(self.user_error(OP))?
                    .rows_affected();
                Ok(done > 0)
            }

            async fn start_session(&self, session: &NewSession) -> Result<()> {
                const OP: &str = "starting a session";
                sqlx::query(sql::START_SESSION)
                    .bind(&session.key.0)
                    .bind(session.user.0)
                    .bind(&session.csrf_token)
                    .bind(millis(session.created_at))
                    .bind(millis(session.expires_at))
                    .execute(&self.pool)
                    .await
                    .map_err(self.user_error(OP))?;
                Ok(())
            }

            async fn session(&self, key: &SessionKey) -> Result<Option<Session>> {
                const OP: &str = "reading a session";
                use sqlx::Row;
                let row = sqlx::query(&format!(
                    "SELECT {USER_COLUMNS}, s.csrf_token, s.created_at, s.last_seen_at, \
                     s.expires_at FROM sessions s JOIN users u ON u.id = s.user_id \
                     WHERE s.id_hash = $1"
                ))
                .bind(&key.0)
                .fetch_optional(&self.pool)
                .await
                .map_err(self.user_error(OP))?;
                let Some(row) = row else { return Ok(None) };
                let location = crate::Store::location(self);
                let decode = |e| StoreError::Query {
                    operation: OP,
                    location: location.to_owned(),
                    source: e,
                };
                Ok(Some(Session {
                    key: key.clone(),
                    user: self.user_from_row(OP, &row)?,
                    csrf_token: row.try_get(7).map_err(decode)?,
                    created_at: time(location, OP, row.try_get(8).map_err(decode)?)?,
                    last_seen_at: time(location, OP, row.try_get(9).map_err(decode)?)?,
                    expires_at: time(location, OP, row.try_get(10).map_err(decode)?)?,
                }))
            }

            async fn touch_session(&self, key: &SessionKey, at: DateTime<Utc>) -> Result<()> {
                sqlx::query(sql::TOUCH_SESSION)
                    .bind(&key.0)
                    .bind(millis(at))
                    .execute(&self.pool)
                    .await
                    .map_err(self.user_error("marking a session used"))?;
                Ok(())
            }

            async fn end_session(&self, key: &SessionKey) -> Result<()> {
                sqlx::query(sql::END_SESSION)
                    .bind(&key.0)
                    .execute(&self.pool)
                    .await
                    .map_err(self.user_error("ending a session"))?;
                Ok(())
            }

            async fn prune_sessions(
                &self,
                expires_before: DateTime<Utc>,
                idle_before: DateTime<Utc>,
                attempts_before: DateTime<Utc>,
            ) -> Result<u64> {
                const OP: &str = "forgetting old sessions";
                let n = sqlx::query(sql::PRUNE_SESSIONS)
                    .bind(millis(expires_before))
                    .bind(millis(idle_before))
                    .execute(&self.pool)
                    .await
                    .map_err(self.user_error(OP))?
                    .rows_affected();
                sqlx::query(sql::PRUNE_ATTEMPTS)
                    .bind(millis(attempts_before))
                    .execute(&self.pool)
                    .await
                    .map_err(self.user_error(OP))?;
                Ok(n)
            }

            async fn record_login_attempt(&self, attempt: &LoginAttempt) -> Result<()> {
                sqlx::query(sql::RECORD_ATTEMPT)
                    .bind(&attempt.name)
                    .bind(&attempt.address)
                    .bind(millis(attempt.at))
                    .bind(attempt.is_success)
                    .execute(&self.pool)
                    .await
                    .map_err(self.user_error("recording a login attempt"))?;
                Ok(())
            }

            async fn login_failures(
                &self,
                name: &str,
                address: &str,
                since: DateTime<Utc>,
            ) -> Result<LoginFailures> {
                const OP: &str = "counting failed logins";
                let location = crate::Store::location(self);
                let (account, account_last): (i64, Option<i64>) =
                    sqlx::query_as(sql::ACCOUNT_FAILURES)
                        .bind(name)
                        .bind(millis(since))
                        .fetch_one(&self.pool)
                        .await
                        .map_err(self.user_error(OP))?;
                let (address_n, address_last): (i64, Option<i64>) =
                    sqlx::query_as(sql::ADDRESS_FAILURES)
                        .bind(address)
                        .bind(millis(since))
                        .fetch_one(&self.pool)
                        .await
                        .map_err(self.user_error(OP))?;
                Ok(LoginFailures {
                    account: count(account),
                    account_last: account_last.map(|t| time(location, OP, t)).transpose()?,
                    address: count(address_n),
                    address_last: address_last.map(|t| time(location, OP, t)).transpose()?,
                })
            }

            async fn record_audit(&self, entry: &AuditEntry, at: DateTime<Utc>) -> Result<i64> {
                let (id,): (i64,) = sqlx::query_as(sql::RECORD_AUDIT)
                    .bind(millis(at))
                    .bind(entry.user.map(|u| u.0))
                    .bind(&entry.actor)
                    .bind(&entry.action)
                    .bind(&entry.target)
                    .bind(&entry.detail)
                    .fetch_one(&self.pool)
                    .await
                    .map_err(self.user_error("writing the audit log"))?;
                Ok(id)
            }

            async fn audit_log(&self, limit: u32, before: Option<i64>) -> Result<Vec<AuditRecord>> {
                const OP: &str = "reading the audit log";
                type AuditRow = (i64, i64, Option<i64>, String, String, String, String);
                let rows: Vec<AuditRow> = sqlx::query_as(sql::AUDIT_LOG)
                    .bind(before.unwrap_or(i64::MAX))
                    .bind(i64::from(limit))
                    .fetch_all(&self.pool)
                    .await
                    .map_err(self.user_error(OP))?;
                let location = crate::Store::location(self);
                rows.into_iter()
                    .map(|(id, at, user, actor, action, target, detail)| {
                        Ok(AuditRecord {
                            id,
                            at: time(location, OP, at)?,
                            entry: AuditEntry {
                                user: user.map(UserId),
                                actor,
                                action,
                                target,
                                detail,
                            },
                        })
                    })
                    .collect()
            }
        }
    };
}

user_store_impl!(SqliteStore, sqlx::sqlite::SqliteRow);
user_store_impl!(PgStore, sqlx::postgres::PgRow);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_round_trip_and_order() {
        for r in Role::ALL {
            assert_eq!(Role::parse(r.as_str()), Some(r));
        }
        assert_eq!(Role::parse("root"), None);
        assert!(Role::Admin > Role::Editor && Role::Editor > Role::Viewer);
    }

    #[test]
    fn secrets_do_not_print() {
        let h = PasswordHash("$argon2id$v=19$secret".into());
        assert_eq!(format!("{h:?}"), "PasswordHash(****)");
        let k = SessionKey("abcdef".into());
        assert_eq!(format!("{k:?}"), "SessionKey(****)");
        let s = NewSession {
            key: k,
            user: UserId(1),
            csrf_token: "csrf-secret".into(),
            created_at: Utc::now(),
            expires_at: Utc::now(),
        };
        let shown = format!("{s:?}");
        assert!(
            !shown.contains("abcdef") && !shown.contains("csrf-secret"),
            "{shown}"
        );
    }
}
