//! How many failed logins lock an account or an address, and for how long.
//!
//! An account is locked when it has [`LoginLimits::per_account`] failures within the
//! window since its last successful login; an address (many staff may share one
//! office NAT, so its limit is higher) when it has [`LoginLimits::per_address`]. The
//! lock lasts [`LoginLimits::lockout`] from the latest failure. Attempts refused while
//! locked are not counted, so a lock always ends on time.

use chrono::{DateTime, Utc};
use jujiao_store::LoginFailures;
use std::time::Duration;

/// Failed-login limits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LoginLimits {
    /// Failures of one account that lock it.
    pub per_account: u32,
    /// Failures from one address that lock it.
    pub per_address: u32,
    /// How far back failures count.
    pub window: Duration,
    /// How long a lock lasts after the latest failure.
    pub lockout: Duration,
}

impl Default for LoginLimits {
    fn default() -> Self {
        LoginLimits {
            per_account: 5,
            per_address: 20,
            window: Duration::from_secs(15 * 60),
            lockout: Duration::from_secs(15 * 60),
        }
    }
}

/// Why a login is refused before its password is even checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Lock {
    Account { until: DateTime<Utc> },
    Address { until: DateTime<Utc> },
}

impl Lock {
    pub(crate) fn until(self) -> DateTime<Utc> {
        match self {
            Lock::Account { until } | Lock::Address { until } => until,
        }
    }
}

fn plus(t: DateTime<Utc>, d: Duration) -> DateTime<Utc> {
    t + chrono::Duration::from_std(d).unwrap_or(chrono::Duration::MAX)
}

impl LoginLimits {
    /// The start of the window at `now`.
    pub(crate) fn window_start(&self, now: DateTime<Utc>) -> DateTime<Utc> {
        now - chrono::Duration::from_std(self.window).unwrap_or(chrono::Duration::MAX)
    }

    /// The lock in force at `now`, if any.
    pub(crate) fn lock(&self, f: &LoginFailures, now: DateTime<Utc>) -> Option<Lock> {
        if f.account >= self.per_account
            && let Some(last) = f.account_last
            && now < plus(last, self.lockout)
        {
            return Some(Lock::Account {
                until: plus(last, self.lockout),
            });
        }
        if f.address >= self.per_address
            && let Some(last) = f.address_last
            && now < plus(last, self.lockout)
        {
            return Some(Lock::Address {
                until: plus(last, self.lockout),
            });
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locks_after_the_limit_and_ends_after_the_lockout() {
        let l = LoginLimits::default();
        let t0 = DateTime::from_timestamp(1_800_000_000, 0).unwrap();
        let f = |account, address| LoginFailures {
            account,
            account_last: Some(t0),
            address,
            address_last: Some(t0),
        };
        assert_eq!(l.lock(&f(4, 4), t0), None);
        let lock = l.lock(&f(5, 5), t0).unwrap();
        assert!(matches!(lock, Lock::Account { .. }));
        assert_eq!(lock.until(), t0 + chrono::Duration::minutes(15));
        assert!(
            l.lock(&f(5, 5), t0 + chrono::Duration::minutes(15))
                .is_none()
        );
        assert!(matches!(l.lock(&f(0, 20), t0), Some(Lock::Address { .. })));
        assert_eq!(l.lock(&LoginFailures::default(), t0), None);
    }
}
