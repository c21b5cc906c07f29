//! E-mail channel: a message of alerts sent over SMTP with lettre (tokio, rustls with
//! ring — the TLS stack the HTTP client already uses).
//!
//! - Transport: `smtp_tls = "starttls"` (default, port 587: plain connection, then
//!   `STARTTLS` required), `"tls"` (port 465: TLS from the first byte) or `"none"`
//!   (a relay on the same host). Servers are verified against the web PKI roots plus
//!   `settings.ca_certificates` / `--cacert` (an office's own mail server).
//! - Authentication (`username` and `password` / `password_env`): the password is read
//!   when a message is sent and appears nowhere else — not in errors, logs or `Debug`.
//! - The message: UTF-8 throughout — the subject as RFC 2047 encoded words, the body
//!   `text/plain; charset=utf-8` in base64 — with times in Beijing time and each item
//!   linking back to the article in the web app (`[web] base_url`). Its `Message-ID` is
//!   made from the deliveries it carries, so a message sent again after a crash carries
//!   the same id as the first and mail programs that drop repeated ids show it once.
//!
//! A refusal (a 4xx or 5xx answer at any step) is a failed send: its code and text are
//! the delivery's last error, and the deliverer retries it with backoff like the other
//! channels. No connection (refused, unreachable, TLS) is a send that never happened; any
//! other break (a timeout, a reset) may have come after the relay took the message, so
//! its outcome is unknown ([`SendFailure::Unknown`]) — lettre does not say at which step
//! of the conversation it failed.

use crate::channels::SendFailure;
use crate::message::{Message, beijing};
use chrono::{DateTime, Utc};
use jujiao_config::{Channel, EmailChannel, SmtpTls};
use lettre::message::header::ContentType;
use lettre::message::{Mailbox, Mailboxes, SinglePart, header::ContentTransferEncoding};
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Certificate, Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};
use std::time::Duration;

/// How an e-mail is sent, besides the channel's own settings.
#[derive(Debug, Clone, Copy)]
pub struct SendContext<'a> {
    /// PEM certificates trusted besides the web PKI roots.
    pub root_certificates: &'a [Vec<u8>],
    /// Longest wait for one step of the SMTP conversation.
    pub timeout: Duration,
    /// When the message is sent (shown in Beijing time).
    pub now: DateTime<Utc>,
}

/// The subject: the count, then the first item's title.
fn subject(message: &Message) -> String {
    let first = message
        .items
        .first()
        .map(|d| d.title.as_str())
        .unwrap_or_default();
    match message.items.len() {
        1 => format!("关注提醒：{first}"),
        n => format!("关注提醒（{n} 条）：{first} 等"),
    }
}

/// The body: the message's text (items in Beijing time, with their links), then when
/// it was sent.
fn body(message: &Message, now: DateTime<Utc>) -> String {
    format!(
        "{}\n\n——\njujiao 关注提醒，发送于 {}（北京时间）。\n",
        message.text,
        beijing(now)
    )
}

fn mailbox(field: &str, text: &str) -> Result<Mailbox, String> {
    text.parse::<Mailbox>()
        .map_err(|e| format!("{field} `{text}` is not an e-mail address: {e}"))
}

/// The e-mail that carries `message`.
pub fn build(
    email: &EmailChannel,
    message: &Message,
    now: DateTime<Utc>,
) -> Result<lettre::Message, String> {
    let from = mailbox("from", &email.from)?;
    let mut to = Mailboxes::new();
    for r in &email.to {
        to.push(mailbox("to", r)?);
    }
    let domain = from.email.domain().to_owned();
    let part = SinglePart::builder()
        .header(ContentType::TEXT_PLAIN)
        .header(ContentTransferEncoding::Base64)
        .body(body(message, now));
    lettre::Message::builder()
        .from(from)
        .mailbox(lettre::message::header::To::from(to))
        .subject(subject(message))
        .date(now.into())
        .message_id(Some(format!("<{}@{domain}>", message.key())))
        .singlepart(part)
        .map_err(|e| format!("cannot build the e-mail: {e}"))
}

/// The transport to the channel's relay.
fn transport(
    channel: &Channel,
    email: &EmailChannel,
    cx: SendContext<'_>,
) -> Result<AsyncSmtpTransport<Tokio1Executor>, String> {
    let tls_parameters = || -> Result<TlsParameters, String> {
        let mut b = TlsParameters::builder(email.host.clone());
        for pem in cx.root_certificates {
            let cert = Certificate::from_pem(pem)
                .map_err(|e| format!("a trusted certificate does not load: {e}"))?;
            b = b.add_root_certificate(cert);
        }
        b.build_rustls()
            .map_err(|e| format!("TLS settings for {}: {e}", email.host))
    };
    let tls = match email.tls {
        SmtpTls::StartTls => Tls::Required(tls_parameters()?),
        SmtpTls::Tls => Tls::Wrapper(tls_parameters()?),
        SmtpTls::None => Tls::None,
    };
    let mut builder = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(email.host.as_str())
        .port(email.port)
        .tls(tls)
        .timeout(Some(cx.timeout));
    match (&email.username, &email.password) {
        (Some(user), Some(password)) => {
            let password = password
                .resolve()
                .map_err(|e| format!("channel \"{}\": password: {e}", channel.name))?;
            builder =
                builder.credentials(Credentials::new(user.clone(), password.expose().to_owned()));
        }
        (Some(_), None) => {
            return Err(format!(
                "channel \"{}\": a username is set but no password (password or password_env)",
                channel.name
            ));
        }
        (None, _) => {}
    }
    Ok(builder.build())
}

/// Whether an SMTP error certainly came before the message was handed over: a relay's
/// answer (refused), a TLS or client error, or a connection never made.
fn smtp_failure(e: &lettre::transport::smtp::Error, text: String) -> SendFailure {
    if e.is_permanent() || e.is_transient() {
        return SendFailure::Refused(text);
    }
    if e.is_tls() || e.is_client() {
        return SendFailure::NotSent(text);
    }
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        if let Some(io) = s.downcast_ref::<std::io::Error>() {
            use std::io::ErrorKind::*;
            if matches!(
                io.kind(),
                ConnectionRefused | HostUnreachable | NetworkUnreachable | AddrNotAvailable
            ) {
                return SendFailure::NotSent(text);
            }
        }
        source = s.source();
    }
    SendFailure::Unknown(format!("{text} (outcome unknown)"))
}

/// Sends `message` over SMTP; the failure is the relay's refusal or what went wrong, fit
/// for the 关注 page (no password, no message text).
pub async fn send(
    channel: &Channel,
    email: &EmailChannel,
    message: &Message,
    cx: SendContext<'_>,
) -> Result<(), SendFailure> {
    let mail = build(email, message, cx.now).map_err(SendFailure::NotSent)?;
    let transport = transport(channel, email, cx).map_err(SendFailure::NotSent)?;
    match transport.send(mail).await {
        Ok(answer) if answer.is_positive() => Ok(()),
        Ok(answer) => Err(SendFailure::Refused(format!(
            "SMTP {}: {}",
            answer.code(),
            answer.message().collect::<Vec<_>>().join(" ")
        ))),
        Err(e) => {
            let text = format!("SMTP {}:{}: {e}", email.host, email.port);
            Err(smtp_failure(&e, text))
        }
    }
}
