//! Reading a response body with a byte cap and an idle timeout.
//!
//! reqwest hands out decompressed chunks one at a time, so counting them here
//! caps the body *after* decompression: a gzip bomb stops at the cap (plus at
//! most one decoder chunk) instead of filling memory. The read timeout applies to
//! each chunk, so a server that drips bytes forever is cut off.

use std::time::Duration;

/// What to do when the body passes the cap.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Overflow {
    /// Fail: pages larger than the cap are refused.
    Fail,
    /// Keep the first `cap` bytes and stop (robots.txt, RFC 9309 §2.5).
    Truncate,
}

/// Why a body read stopped early.
#[derive(Debug)]
pub enum BodyError {
    /// Passed the cap with [`Overflow::Fail`].
    TooLarge,
    /// No chunk arrived within the read timeout.
    Idle,
    /// The transport failed mid-body.
    Transport(reqwest::Error),
}

/// Read `response`'s body, at most `cap` bytes.
pub async fn read_capped(
    mut response: reqwest::Response,
    cap: usize,
    overflow: Overflow,
    read_timeout: Duration,
) -> Result<Vec<u8>, BodyError> {
    let declared = response
        .content_length()
        .and_then(|n| usize::try_from(n).ok());
    if overflow == Overflow::Fail && declared.is_some_and(|n| n > cap) {
        return Err(BodyError::TooLarge);
    }
    let mut body = Vec::with_capacity(declared.unwrap_or(0).min(cap));
    loop {
        let chunk = match tokio::time::timeout(read_timeout, response.chunk()).await {
            Err(_) => return Err(BodyError::Idle),
            Ok(Err(e)) => return Err(BodyError::Transport(e)),
            Ok(Ok(None)) => return Ok(body),
            Ok(Ok(Some(chunk))) => chunk,
        };
        let room = cap - body.len();
        if chunk.len() > room {
            return match overflow {
                Overflow::Fail => Err(BodyError::TooLarge),
                Overflow::Truncate => {
                    body.extend_from_slice(&chunk[..room]);
                    Ok(body)
                }
            };
        }
        body.extend_from_slice(&chunk);
    }
}
