//! The requests each channel kind expects, built from a [`Message`], and what their
//! answers mean.
//!
//! - 企业微信 group robot: `POST {url}?key=KEY`, `{"msgtype":"markdown","markdown":
//!   {"content":…}}` or `text` with `mentioned_mobile_list`.
//! - 钉钉 robot: `POST {url}?access_token=TOKEN`, with 加签 `&timestamp=T&sign=S` where
//!   `T` is milliseconds and `S = urlencode(base64(HMAC-SHA256(key = secret,
//!   msg = T + "\n" + secret)))`; `{"msgtype":"markdown","markdown":{"title","text"}}`.
//! - 飞书 / Lark custom bot: `POST {url}/HOOK`, with `timestamp` (seconds, a string) and
//!   `sign = base64(HMAC-SHA256(key = T + "\n" + secret, msg = ""))` in the JSON body;
//!   `post` (rich text) or `text`.
//! - Generic webhook: `POST {url}` with the items as JSON, `Authorization: Bearer` when
//!   a token is set, and `Idempotency-Key` ([`Message::key`]: a message sent again
//!   carries the same key, and `"possible_repeat": true`) so a receiver can drop a
//!   repeat.
//!
//! A 2xx answer whose JSON says `errcode` ≠ 0 (企业微信, 钉钉) or `code` ≠ 0 (飞书) is a
//! failure, with the endpoint's own message. A failed send is one of three
//! ([`SendFailure`]): never sent (no connection: refused, DNS, TLS handshake), refused
//! by the endpoint (an error status or code: it answered, so it did not post it), or of
//! unknown outcome (the request was written and no answer came: a timeout after
//! connecting, the connection reset while waiting) — the group may have the message. Keys and secrets are resolved when a
//! request is built and appear in nothing but the request itself: [`Request`]'s `Debug`
//! hides its URL's query and signature.

use crate::WatchError;
use crate::message::{Message, link};
use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac};
use jujiao_config::{Channel, ChannelKind};
use serde_json::{Value, json};
use sha2::Sha256;
use std::fmt;

/// Most bytes of an endpoint's answer read.
const MAX_ANSWER_BYTES: usize = 64 * 1024;

/// An HTTP request to an endpoint.
#[derive(Clone, PartialEq)]
pub struct Request {
    pub url: String,
    pub headers: Vec<(String, String)>,
    pub body: Value,
}

impl fmt::Debug for Request {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let shown = self.url.split(['?', '#']).next().unwrap_or_default();
        f.debug_struct("Request")
            .field("url", &format_args!("{shown}?****"))
            .finish_non_exhaustive()
    }
}

/// HMAC-SHA256 of `msg` under `key`, base64.
pub fn hmac_base64(key: &[u8], msg: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes keys of any length");
    mac.update(msg);
    BASE64.encode(mac.finalize().into_bytes())
}

/// 钉钉 加签 for a millisecond timestamp, before URL encoding.
pub fn dingtalk_sign(secret: &str, timestamp_ms: i64) -> String {
    hmac_base64(
        secret.as_bytes(),
        format!("{timestamp_ms}\n{secret}").as_bytes(),
    )
}

/// 飞书 signature for a timestamp in seconds.
pub fn feishu_sign(secret: &str, timestamp_s: i64) -> String {
    hmac_base64(format!("{timestamp_s}\n{secret}").as_bytes(), b"")
}

fn encode_component(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

fn resolve(channel: &Channel, which: &str) -> Result<Option<String>, WatchError> {
    let r = if which == "token" {
        &channel.token
    } else {
        &channel.secret
    };
    r.as_ref()
        .map(|s| {
            s.resolve()
                .map(|v| v.expose().to_owned())
                .map_err(|message| WatchError::Channel {
                    channel: channel.name.clone(),
                    message: format!("{which}: {message}"),
                })
        })
        .transpose()
}

/// The request that sends `message` to `channel` at `now`.
pub fn build_request(
    channel: &Channel,
    message: &Message,
    base_url: Option<&str>,
    now: DateTime<Utc>,
) -> Result<Request, WatchError> {
    let token = resolve(channel, "token")?;
    let secret = resolve(channel, "secret")?;
    let json_header = ("Content-Type".to_owned(), "application/json".to_owned());
    let missing = || WatchError::Channel {
        channel: channel.name.clone(),
        message: "the robot's key (token) is not set".to_owned(),
    };
    Ok(match &channel.kind {
        ChannelKind::Wecom {
            markdown,
            mentioned_mobiles,
        } => {
            let key = token.ok_or_else(missing)?;
            let body = if *markdown {
                json!({"msgtype": "markdown", "markdown": {"content": message.text}})
            } else {
                json!({"msgtype": "text", "text": {
                    "content": message.text,
                    "mentioned_mobile_list": mentioned_mobiles,
                }})
            };
            Request {
                url: format!("{}?key={}", channel.url, encode_component(&key)),
                headers: vec![json_header],
                body,
            }
        }
        ChannelKind::Dingtalk => {
            let access = token.ok_or_else(missing)?;
            let mut url = format!("{}?access_token={}", channel.url, encode_component(&access));
            if let Some(secret) = secret {
                let ts = now.timestamp_millis();
                let sign = dingtalk_sign(&secret, ts);
                url.push_str(&format!("&timestamp={ts}&sign={}", encode_component(&sign)));
            }
            Request {
                url,
                headers: vec![json_header],
                body: json!({"msgtype": "markdown", "markdown": {
                    "title": message.title, "text": message.text,
                }}),
            }
        }
        ChannelKind::Feishu { post } => {
            let hook = token.ok_or_else(missing)?;
            let mut body = if *post {
                let mut lines: Vec<Value> = Vec::new();
                for d in &message.items {
                    lines.push(json!([
                        {"tag": "text", "text": format!("【{}】", d.rule)},
                        {"tag": "a", "text": d.title, "href": link(base_url, d)},
                    ]));
                    let when = d
                        .published
                        .clone()
                        .unwrap_or_else(|| crate::message::beijing(d.matched_at));
                    let mut meta = format!("{} · {} · {}", d.source_id, d.column, when);
                    if !d.excerpt.is_empty() {
                        meta.push('\n');
                        meta.push_str(&d.excerpt);
                    }
                    lines.push(json!([{"tag": "text", "text": meta}]));
                }
                json!({"msg_type": "post", "content": {"post": {"zh_cn": {
                    "title": message.title, "content": lines,
                }}}})
            } else {
                json!({"msg_type": "text", "content": {"text": message.text}})
            };
            if let Some(secret) = secret {
                let ts = now.timestamp();
                body["timestamp"] = json!(ts.to_string());
                body["sign"] = json!(feishu_sign(&secret, ts));
            }
            Request {
                url: format!("{}/{}", channel.url, encode_component(&hook)),
                headers: vec![json_header],
                body,
            }
        }
        ChannelKind::Webhook => {
            let mut headers = vec![json_header];
            if let Some(token) = token {
                headers.push(("Authorization".to_owned(), format!("Bearer {token}")));
            }
            headers.push(("Idempotency-Key".to_owned(), message.key()));
            let items: Vec<Value> = message
                .items
                .iter()
                .map(|d| {
                    json!({
                        "delivery_id": d.id.0,
                        "rule": d.rule,
                        "article_id": d.article_id.0,
                        "title": d.title,
                        "link": link(base_url, d),
                        "url": d.url,
                        "source": d.source_id,
                        "column": d.column,
                        "published": d.published,
                        "matched_at": crate::message::beijing(d.matched_at),
                        "excerpt": d.excerpt,
                    })
                })
                .collect();
            let mut body = json!({"title": message.title, "text": message.text, "items": items});
            if message.possible_repeat {
                body["possible_repeat"] = json!(true);
            }
            Request {
                url: channel.url.clone(),
                headers,
                body,
            }
        }
        ChannelKind::Email(_) => {
            return Err(WatchError::Channel {
                channel: channel.name.clone(),
                message: "e-mail is sent over SMTP, not as an HTTP request".to_owned(),
            });
        }
    })
}

/// Why a send failed, and so what the message's state is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SendFailure {
    /// The request never reached the endpoint (connection refused, DNS, TLS handshake,
    /// a request that could not be built): retry, nothing was shown.
    NotSent(String),
    /// The endpoint answered and refused it (an HTTP error status, `errcode` ≠ 0):
    /// retry, nothing was shown.
    Refused(String),
    /// The request went out and no answer came (a timeout after connecting, the
    /// connection broken while waiting): the group may have the message, exactly as
    /// when the sender dies in flight.
    Unknown(String),
}

impl SendFailure {
    /// The message for the 关注 page and the logs.
    pub fn message(&self) -> &str {
        match self {
            SendFailure::NotSent(m) | SendFailure::Refused(m) | SendFailure::Unknown(m) => m,
        }
    }

    pub fn is_unknown(&self) -> bool {
        matches!(self, SendFailure::Unknown(_))
    }
}

impl fmt::Display for SendFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.message())
    }
}

/// What a request error means: a connect error (reqwest's `connect_timeout` included)
/// happened before anything was written; any other error after the connection was up
/// (the total timeout, a reset, a closed connection) leaves the outcome unknown.
fn request_failure(e: reqwest::Error) -> SendFailure {
    let e = e.without_url();
    if e.is_connect() || e.is_builder() {
        SendFailure::NotSent(format!("request not sent: {e}"))
    } else if e.is_timeout() {
        SendFailure::Unknown(format!("no answer in time, outcome unknown: {e}"))
    } else {
        SendFailure::Unknown(format!(
            "connection broken before the answer, outcome unknown: {e}"
        ))
    }
}

/// Judges an endpoint's answer: a non-2xx status, or JSON whose `errcode`, `code` or
/// `StatusCode` is not 0, is a failure with the endpoint's message.
pub fn judge_answer(status: u16, body: &[u8]) -> Result<(), String> {
    let text = String::from_utf8_lossy(body);
    let short: String = text.chars().take(200).collect();
    if !(200..300).contains(&status) {
        return Err(format!("HTTP {status}: {short}"));
    }
    let Ok(value) = serde_json::from_slice::<Value>(body) else {
        return Ok(());
    };
    for (code_key, msg_key) in [
        ("errcode", "errmsg"),
        ("code", "msg"),
        ("StatusCode", "StatusMessage"),
    ] {
        if let Some(code) = value.get(code_key)
            && code.as_i64() != Some(0)
        {
            let msg = value.get(msg_key).and_then(Value::as_str).unwrap_or("");
            return Err(format!("{code_key} {code}: {msg}"));
        }
    }
    Ok(())
}

/// Sends a request; the failure's message is fit for the 关注 page (no secret: the URL
/// is not repeated). The client should have a `connect_timeout` shorter than its total
/// timeout, so that a connection never made is told from an answer never given.
pub async fn send(client: &reqwest::Client, request: &Request) -> Result<(), SendFailure> {
    let mut builder = client.post(&request.url);
    for (k, v) in &request.headers {
        builder = builder.header(k, v);
    }
    let body = serde_json::to_vec(&request.body)
        .map_err(|e| SendFailure::NotSent(format!("cannot encode the request: {e}")))?;
    let mut response = builder.body(body).send().await.map_err(request_failure)?;
    let status = response.status().as_u16();
    let mut answer = Vec::new();
    loop {
        match response.chunk().await {
            Ok(Some(chunk)) => {
                answer.extend_from_slice(&chunk);
                if answer.len() > MAX_ANSWER_BYTES {
                    break;
                }
            }
            Ok(None) => break,
            // An error status is a refusal whatever its body; a 2xx cut short may
            // still carry `errcode` ≠ 0, or not: unknown.
            Err(e) if (200..300).contains(&status) => {
                return Err(SendFailure::Unknown(format!(
                    "HTTP {status}, then the answer broke off, outcome unknown: {}",
                    e.without_url()
                )));
            }
            Err(_) => break,
        }
    }
    judge_answer(status, &answer).map_err(SendFailure::Refused)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signatures_follow_the_documented_algorithms() {
        // HMAC-SHA256 test vector (RFC 4231 case 2): key "Jefe".
        let mut mac = Hmac::<Sha256>::new_from_slice(b"Jefe").unwrap();
        mac.update(b"what do ya want for nothing?");
        let hex: String = mac
            .finalize()
            .into_bytes()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        assert_eq!(
            hex,
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
        assert_eq!(
            hmac_base64(b"Jefe", b"what do ya want for nothing?"),
            BASE64.encode([
                0x5b, 0xdc, 0xc1, 0x46, 0xbf, 0x60, 0x75, 0x4e, 0x6a, 0x04, 0x24, 0x26, 0x08, 0x95,
                0x75, 0xc7, 0x5a, 0x00, 0x3f, 0x08, 0x9d, 0x27, 0x39, 0x83, 0x9d, 0xec, 0x58, 0xb9,
                0x64, 0xec, 0x38, 0x43
            ])
        );
        assert_eq!(dingtalk_sign("SEC", 1), hmac_base64(b"SEC", b"1\nSEC"));
        assert_eq!(feishu_sign("s", 2), hmac_base64(b"2\ns", b""));
    }

    #[test]
    fn answers_with_an_error_code_are_failures() {
        assert!(judge_answer(200, br#"{"errcode":0,"errmsg":"ok"}"#).is_ok());
        let e =
            judge_answer(200, br#"{"errcode":93000,"errmsg":"invalid webhook url"}"#).unwrap_err();
        assert!(
            e.contains("93000") && e.contains("invalid webhook url"),
            "{e}"
        );
        assert!(judge_answer(200, br#"{"code":19021,"msg":"sign match fail"}"#).is_err());
        assert!(judge_answer(200, br#"{"code":0,"msg":"success","data":{}}"#).is_ok());
        assert!(judge_answer(200, br#"{"StatusCode":0,"StatusMessage":"success"}"#).is_ok());
        assert!(judge_answer(502, b"bad gateway").is_err());
        assert!(judge_answer(204, b"").is_ok());
    }
}
