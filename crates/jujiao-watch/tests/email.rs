//! The e-mail channel against a loopback SMTP server written here: a real SMTP
//! conversation over TCP (EHLO, STARTTLS with a test certificate, AUTH PLAIN, MAIL
//! FROM, RCPT TO, DATA), recording the envelope and the message so the tests can check
//! both exactly — the subject and body decoded from their MIME encodings — and refusing
//! a command with a 5xx answer when told to.

#![allow(clippy::unwrap_used)]

mod common;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use chrono::{Duration as Span, Utc};
use common::*;
use jujiao_config::{Channel, Config};
use jujiao_watch::message::beijing;
use jujiao_watch::{DeliverOptions, Deliverer};
use std::path::Path;
use std::sync::{Arc, Mutex};
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncWrite, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;
use tokio_rustls::TlsAcceptor;
use tokio_rustls::rustls;

const CA_PEM: &str = include_str!("tls/ca.pem");
const SERVER_PEM: &str = include_str!("tls/server.pem");
const SERVER_KEY_PEM: &str = include_str!("tls/server-key.pem");

/// How the server secures its connections.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// Plain, offering STARTTLS.
    StartTls,
    /// TLS from the first byte (port 465 style).
    Tls,
    /// Plain text only.
    Plain,
}

/// One SMTP session as the server saw it.
#[derive(Debug, Clone, Default)]
struct Session {
    ehlo: Vec<String>,
    /// Whether the mail was given over TLS.
    tls: bool,
    auth: Option<(String, String)>,
    mail_from: Vec<String>,
    rcpt_to: Vec<String>,
    data: Option<String>,
}

#[derive(Clone, Default)]
struct Shared {
    sessions: Arc<Mutex<Vec<Session>>>,
    /// `(verb, answer)`: the next sessions answer this verb with this refusal.
    refuse: Arc<Mutex<Option<(String, String)>>>,
}

struct SmtpServer {
    port: u16,
    shared: Shared,
}

impl SmtpServer {
    async fn start(mode: Mode) -> SmtpServer {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let shared = Shared::default();
        let acceptor = acceptor();
        let s = shared.clone();
        tokio::spawn(async move {
            loop {
                let (tcp, _) = listener.accept().await.unwrap();
                let (s, acceptor) = (s.clone(), acceptor.clone());
                tokio::spawn(async move {
                    let mut session = Session::default();
                    let at = {
                        let mut all = s.sessions.lock().unwrap();
                        all.push(Session::default());
                        all.len() - 1
                    };
                    let mut cx = (&mut session, &s, at);
                    if mode == Mode::Tls {
                        let Ok(tls) = acceptor.accept(tcp).await else {
                            return;
                        };
                        cx.0.tls = true;
                        converse(tls, &mut cx, true, false).await;
                    } else if let Some(tcp) =
                        converse(tcp, &mut cx, true, mode == Mode::StartTls).await
                    {
                        // A client that does not trust the certificate gives up here.
                        let Ok(tls) = acceptor.accept(tcp).await else {
                            return;
                        };
                        cx.0.tls = true;
                        converse(tls, &mut cx, false, false).await;
                    }
                });
            }
        });
        SmtpServer { port, shared }
    }

    fn refuse(&self, verb: &str, answer: &str) {
        *self.shared.refuse.lock().unwrap() = Some((verb.to_owned(), answer.to_owned()));
    }

    fn accept_all(&self) {
        *self.shared.refuse.lock().unwrap() = None;
    }

    fn sessions(&self) -> Vec<Session> {
        self.shared.sessions.lock().unwrap().clone()
    }
}

fn acceptor() -> TlsAcceptor {
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer};
    let chain = vec![CertificateDer::from_pem_slice(SERVER_PEM.as_bytes()).unwrap()];
    let key = PrivateKeyDer::from_pem_slice(SERVER_KEY_PEM.as_bytes()).unwrap();
    let config = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_no_client_auth()
    .with_single_cert(chain, key)
    .unwrap();
    TlsAcceptor::from(Arc::new(config))
}

/// The address between `<` and `>`.
fn angle(arg: &str) -> String {
    arg.split_once('<')
        .and_then(|(_, r)| r.split_once('>'))
        .map(|(a, _)| a.to_owned())
        .unwrap_or_default()
}

/// Serves one connection until QUIT (answers `None`) or STARTTLS (answers the stream,
/// to be wrapped in TLS and served again, without a new greeting). The session is
/// saved at `at` in the shared list before every answer, so a client that has its
/// answer sees it recorded.
async fn converse<S: AsyncRead + AsyncWrite + Unpin>(
    mut stream: S,
    (session, shared, at): &mut (&mut Session, &Shared, usize),
    greet: bool,
    offer_starttls: bool,
) -> Option<S> {
    if greet {
        stream
            .write_all(b"220 localhost ESMTP test\r\n")
            .await
            .ok()?;
    }
    let mut reader = BufReader::new(&mut stream);
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).await.ok()? == 0 {
            return None;
        }
        let line = line.trim_end().to_owned();
        let (verb, arg) = line.split_once(' ').unwrap_or((&line, ""));
        let verb = verb.to_ascii_uppercase();
        let refusal = shared.refuse.lock().unwrap().clone();
        let save = |session: &Session| shared.sessions.lock().unwrap()[*at] = session.clone();
        let answer = match (verb.as_str(), refusal) {
            (v, Some((refused, answer))) if v == refused => answer,
            ("EHLO", _) => {
                session.ehlo.push(arg.to_owned());
                let mut a = String::from("250-localhost\r\n");
                if offer_starttls {
                    a.push_str("250-STARTTLS\r\n");
                }
                if session.tls {
                    a.push_str("250-AUTH PLAIN LOGIN\r\n");
                }
                a.push_str("250 8BITMIME");
                a
            }
            ("STARTTLS", _) => {
                save(session);
                reader
                    .get_mut()
                    .write_all(b"220 2.0.0 ready to start TLS\r\n")
                    .await
                    .ok()?;
                return Some(stream);
            }
            ("AUTH", _) => {
                let initial = arg.strip_prefix("PLAIN ").unwrap_or_default();
                let decoded = BASE64.decode(initial).unwrap();
                let parts: Vec<String> = decoded
                    .split(|b| *b == 0)
                    .map(|p| String::from_utf8(p.to_vec()).unwrap())
                    .collect();
                session.auth = Some((parts[1].clone(), parts[2].clone()));
                "235 2.7.0 authenticated".to_owned()
            }
            ("MAIL", _) => {
                session.mail_from.push(angle(arg));
                "250 2.1.0 ok".to_owned()
            }
            ("RCPT", _) => {
                session.rcpt_to.push(angle(arg));
                "250 2.1.5 ok".to_owned()
            }
            ("DATA", _) => {
                reader
                    .get_mut()
                    .write_all(b"354 end with <CRLF>.<CRLF>\r\n")
                    .await
                    .ok()?;
                let mut data = String::new();
                loop {
                    let mut l = String::new();
                    if reader.read_line(&mut l).await.ok()? == 0 {
                        return None;
                    }
                    if l == ".\r\n" {
                        break;
                    }
                    data.push_str(l.strip_prefix('.').unwrap_or(&l));
                }
                session.data = Some(data);
                "250 2.0.0 queued".to_owned()
            }
            ("QUIT", _) => {
                save(session);
                reader
                    .get_mut()
                    .write_all(b"221 2.0.0 bye\r\n")
                    .await
                    .ok()?;
                return None;
            }
            ("RSET" | "NOOP", _) => "250 2.0.0 ok".to_owned(),
            _ => "502 5.5.2 command not recognised".to_owned(),
        };
        save(session);
        reader
            .get_mut()
            .write_all(format!("{answer}\r\n").as_bytes())
            .await
            .ok()?;
    }
}

/// A mail's headers (unfolded) and its body.
fn split_mail(data: &str) -> (Vec<(String, String)>, String) {
    let (head, body) = data.split_once("\r\n\r\n").unwrap();
    let mut headers: Vec<(String, String)> = Vec::new();
    for line in head.split("\r\n") {
        if line.starts_with([' ', '\t']) {
            headers.last_mut().unwrap().1.push_str(line);
        } else {
            let (k, v) = line.split_once(':').unwrap();
            headers.push((k.to_ascii_lowercase(), v.trim().to_owned()));
        }
    }
    (headers, body.to_owned())
}

fn header<'a>(headers: &'a [(String, String)], name: &str) -> &'a str {
    &headers.iter().find(|(k, _)| k == name).unwrap().1
}

/// Decodes RFC 2047 encoded words (`=?utf-8?b?…?=`), as a mail program does.
fn decode_words(value: &str) -> String {
    let mut bytes = Vec::new();
    for word in value.split_whitespace() {
        let parts: Vec<&str> = word.split('?').collect();
        assert!(
            parts.len() == 5 && parts[0] == "=" && parts[4] == "=",
            "not an encoded word: {word}"
        );
        assert!(parts[1].eq_ignore_ascii_case("utf-8"), "{word}");
        assert!(parts[2].eq_ignore_ascii_case("b"), "{word}");
        bytes.extend(BASE64.decode(parts[3]).unwrap());
    }
    String::from_utf8(bytes).unwrap()
}

fn channels(toml: &str) -> Vec<Channel> {
    Config::parse(toml, Path::new("test.toml"))
        .unwrap()
        .watch
        .channels
}

fn options(trust_test_ca: bool) -> DeliverOptions {
    let mut o = DeliverOptions::new("test-worker");
    o.base_url = Some("https://jj.example".into());
    if trust_test_ca {
        o.root_certificates = vec![CA_PEM.as_bytes().to_vec()];
    }
    o
}

async fn one_match(store: &Arc<dyn jujiao_store::Store>) {
    store
        .save_watch_rule(&rule("区领导", "区委书记", &["邮件"]))
        .await
        .unwrap();
    let n = record_and_watch(
        store,
        &[record(
            1,
            "区委书记调研科学城",
            "第一段。区委书记到中关村调研。",
        )],
        Utc::now(),
    )
    .await;
    assert_eq!(n, 1);
}

#[tokio::test]
async fn starttls_with_auth_sends_the_exact_envelope_and_a_utf8_message() {
    let server = SmtpServer::start(Mode::StartTls).await;
    let chans = channels(&format!(
        "[[channel]]\nname = \"邮件\"\nkind = \"email\"\nsmtp_host = \"localhost\"\nsmtp_port = {}\n\
         username = \"alerts@jj.example\"\npassword = \"pw-s3cret\"\n\
         from = \"关注提醒 <alerts@jj.example>\"\nto = [\"duty@jj.example\", \"张三 <zhang@jj.example>\"]\n",
        server.port
    ));
    assert!(!format!("{chans:?}").contains("pw-s3cret"));
    let store = memory_store().await;
    one_match(&store).await;
    let d = Deliverer::new(store.clone(), &chans, options(true)).unwrap();
    let sent_at = Utc::now();
    let report = d.deliver_due(sent_at).await.unwrap();
    let matched = store.recent_watch_matches(None, 1).await.unwrap();
    assert_eq!(
        (report.messages, report.delivered, report.failed),
        (1, 1, 0),
        "{:?}",
        matched[0].deliveries
    );

    let sessions = server.sessions();
    assert_eq!(sessions.len(), 1);
    let s = &sessions[0];
    assert!(s.tls, "the mail went over TLS");
    assert_eq!(
        s.ehlo.len(),
        2,
        "EHLO before and after STARTTLS: {:?}",
        s.ehlo
    );
    assert_eq!(
        s.auth,
        Some(("alerts@jj.example".to_owned(), "pw-s3cret".to_owned()))
    );
    assert_eq!(s.mail_from, ["alerts@jj.example"]);
    assert_eq!(s.rcpt_to, ["duty@jj.example", "zhang@jj.example"]);

    let data = s.data.as_deref().unwrap();
    assert!(!data.contains("pw-s3cret"));
    let (headers, body) = split_mail(data);
    assert_eq!(
        decode_words(header(&headers, "subject")),
        "关注提醒：区委书记调研科学城"
    );
    assert_eq!(
        header(&headers, "content-type"),
        "text/plain; charset=utf-8"
    );
    assert_eq!(header(&headers, "content-transfer-encoding"), "base64");
    assert_eq!(header(&headers, "message-id"), "<jujiao-1@jj.example>");
    assert!(header(&headers, "from").ends_with("<alerts@jj.example>"));
    assert!(header(&headers, "to").contains("<zhang@jj.example>"));
    let text = String::from_utf8(
        BASE64
            .decode(body.split_whitespace().collect::<String>())
            .unwrap(),
    )
    .unwrap();
    let matched_at = beijing(matched[0].matched_at);
    assert_eq!(matched[0].excerpt, "区委书记到中关村调研。");
    // Text lines end in CRLF on the wire, as MIME wants.
    assert!(!text.replace("\r\n", "").contains('\n'), "{text:?}");
    assert_eq!(
        text.replace("\r\n", "\n"),
        format!(
            "关注提醒（1 条）\n\n【区领导】区委书记调研科学城\nqxw · 要闻 · {matched_at}\n\
             https://jj.example/articles/1\n区委书记到中关村调研。\n\n——\n\
             jujiao 关注提醒，发送于 {}（北京时间）。\n",
            beijing(sent_at)
        )
    );
    assert_eq!(store.watch_stats().await.unwrap().delivered, 1);
}

#[tokio::test]
async fn implicit_tls_delivers() {
    let server = SmtpServer::start(Mode::Tls).await;
    let chans = channels(&format!(
        "[[channel]]\nname = \"邮件\"\nkind = \"email\"\nsmtp_host = \"localhost\"\nsmtp_port = {}\n\
         smtp_tls = \"tls\"\nfrom = \"alerts@jj.example\"\nto = [\"duty@jj.example\"]\n",
        server.port
    ));
    let store = memory_store().await;
    one_match(&store).await;
    let d = Deliverer::new(store.clone(), &chans, options(true)).unwrap();
    let report = d.deliver_due(Utc::now()).await.unwrap();
    assert_eq!((report.messages, report.delivered), (1, 1));
    let sessions = server.sessions();
    assert!(sessions[0].tls);
    assert_eq!(sessions[0].ehlo.len(), 1);
    assert_eq!(sessions[0].auth, None);
    assert_eq!(sessions[0].rcpt_to, ["duty@jj.example"]);
}

#[tokio::test]
async fn an_untrusted_certificate_is_a_failed_send() {
    let server = SmtpServer::start(Mode::StartTls).await;
    let chans = channels(&format!(
        "[[channel]]\nname = \"邮件\"\nkind = \"email\"\nsmtp_host = \"localhost\"\nsmtp_port = {}\n\
         from = \"alerts@jj.example\"\nto = [\"duty@jj.example\"]\n",
        server.port
    ));
    let store = memory_store().await;
    one_match(&store).await;
    let d = Deliverer::new(store.clone(), &chans, options(false)).unwrap();
    let report = d.deliver_due(Utc::now()).await.unwrap();
    assert_eq!((report.messages, report.failed), (0, 1));
    let m = &store.recent_watch_matches(None, 1).await.unwrap()[0];
    let error = m.deliveries[0].last_error.as_deref().unwrap();
    assert!(error.to_lowercase().contains("certificate"), "{error}");
    assert!(server.sessions().iter().all(|s| s.data.is_none()));
}

#[tokio::test]
async fn a_5xx_answer_fails_with_its_text_and_is_retried_after_backoff() {
    let server = SmtpServer::start(Mode::Plain).await;
    server.refuse(
        "RCPT",
        "550 5.1.1 <duty@jj.example>: Recipient address rejected",
    );
    let chans = channels(&format!(
        "[[channel]]\nname = \"邮件\"\nkind = \"email\"\nsmtp_host = \"127.0.0.1\"\nsmtp_port = {}\n\
         smtp_tls = \"none\"\nfrom = \"alerts@jj.example\"\nto = [\"duty@jj.example\"]\n",
        server.port
    ));
    let store = memory_store().await;
    one_match(&store).await;
    let mut o = options(false);
    o.backoff = std::time::Duration::from_secs(30);
    let d = Deliverer::new(store.clone(), &chans, o).unwrap();
    let now = Utc::now();
    let report = d.deliver_due(now).await.unwrap();
    assert_eq!((report.messages, report.failed), (0, 1));
    let m = &store.recent_watch_matches(None, 1).await.unwrap()[0];
    let state = &m.deliveries[0];
    let error = state.last_error.as_deref().unwrap();
    assert!(
        error.contains("550") && error.contains("Recipient address rejected"),
        "{error}"
    );
    assert_eq!((state.attempts, state.delivered_at), (1, None));
    assert!(server.sessions().iter().all(|s| s.data.is_none()));

    // Not before the backoff; then delivered once the relay accepts.
    server.accept_all();
    let early = d.deliver_due(now + Span::seconds(10)).await.unwrap();
    assert_eq!(early.messages + early.failed, 0);
    let later = d.deliver_due(now + Span::seconds(31)).await.unwrap();
    assert_eq!((later.messages, later.delivered), (1, 1));
    let delivered: Vec<_> = server
        .sessions()
        .into_iter()
        .filter(|s| s.data.is_some())
        .collect();
    assert_eq!(delivered.len(), 1);
    assert_eq!(delivered[0].rcpt_to, ["duty@jj.example"]);
}
