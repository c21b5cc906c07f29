//! Host pauses ([`HostSlots::pause_host`], [`HostSlots::host_pause`]): a host that
//! answered a verification page is left alone by every worker until its pause ends.
//! One row per host; a pause never shortens one already stored.
//!
//! [`HostSlots::pause_host`]: crate::HostSlots::pause_host
//! [`HostSlots::host_pause`]: crate::HostSlots::host_pause

use super::d;
use crate::codec::now;
use crate::error::Result;
use crate::work::HostPause;
use chrono::{DateTime, Utc};

impl d::This {
    pub(super) async fn store_host_pause(
        &self,
        host: &str,
        until: DateTime<Utc>,
        reason: &str,
    ) -> Result<()> {
        const OP: &str = "pausing a host";
        sqlx::query(
            "INSERT INTO host_pauses (host, until_at, reason) VALUES ($1, $2, $3) \
             ON CONFLICT (host) DO UPDATE SET until_at = excluded.until_at, \
                 reason = excluded.reason \
             WHERE host_pauses.until_at < excluded.until_at",
        )
        .bind(host)
        .bind(d::time(until))
        .bind(reason)
        .execute(&self.pool)
        .await
        .map_err(self.query_error(OP))?;
        Ok(())
    }

    pub(super) async fn read_host_pause(&self, host: &str) -> Result<Option<HostPause>> {
        const OP: &str = "reading a host's pause";
        let row = sqlx::query(
            "SELECT until_at, reason FROM host_pauses WHERE host = $1 AND until_at > $2",
        )
        .bind(host)
        .bind(d::time(now()))
        .fetch_optional(&self.pool)
        .await
        .map_err(self.query_error(OP))?;
        row.map(|row| {
            let d = self.decoder(OP, &row);
            Ok(HostPause {
                until: d.timestamp(0)?,
                reason: d.text(1)?,
            })
        })
        .transpose()
    }
}
