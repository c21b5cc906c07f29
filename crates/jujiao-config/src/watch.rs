//! Watch-lists: `[[channel]]` (where alerts go), `[[watch]]` (what to look out for) and
//! `[[leader]]` (whose activities the 领导活动一览 page follows).
//!
//! Raw tables are read exactly as written (unknown keys refused), then validated here:
//! names unique, every rule's channels defined, URLs parsed, digest times `HH:MM`. A
//! channel's key and signing secret are given inline (kept as a [`Secret`]) or as the
//! name of an environment variable ([`SecretRef::Env`]), read only when a message is
//! sent, so `sources check` and the pages never see it.

use crate::Secret;
use crate::check::{KeyError, http_url};
use serde::Deserialize;
use std::collections::HashSet;
use std::fmt;

/// 企业微信 group robot endpoint; the robot's key goes in `?key=`.
pub const WECOM_URL: &str = "https://qyapi.weixin.qq.com/cgi-bin/webhook/send";
/// 钉钉 custom robot endpoint; its access token goes in `?access_token=`.
pub const DINGTALK_URL: &str = "https://oapi.dingtalk.com/robot/send";
/// 飞书 custom bot endpoint; the hook id is the last path segment.
pub const FEISHU_URL: &str = "https://open.feishu.cn/open-apis/bot/v2/hook";
/// Messages a minute a 企业微信 or 钉钉 robot accepts (both document 20).
pub const ROBOT_MESSAGES_PER_MINUTE: u32 = 20;
/// Messages a minute for other channels unless set.
pub const DEFAULT_MESSAGES_PER_MINUTE: u32 = 60;

/// `[[channel]]` as written.
#[derive(Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawChannel {
    pub name: String,
    /// `wecom`, `dingtalk`, `feishu`, `webhook` or `email`.
    pub kind: String,
    /// The endpoint (defaults per kind; tests point it at loopback).
    pub url: Option<String>,
    /// The robot's key / access token / hook id, or `token_env`.
    pub token: Option<String>,
    pub token_env: Option<String>,
    /// The signing secret (钉钉 加签, 飞书 signature), or `secret_env`.
    pub secret: Option<String>,
    pub secret_env: Option<String>,
    /// `markdown` (default) or `text` (企业微信); `post` (default) or `text` (飞书).
    pub format: Option<String>,
    /// 企业微信 text messages: mobiles to @.
    #[serde(default)]
    pub mentioned_mobiles: Vec<String>,
    pub messages_per_minute: Option<u32>,
    /// What to do with a message whose outcome is unknown: `resend` or `hold`; the
    /// default depends on the kind ([`UnknownOutcome::default_for`]).
    pub unknown_outcome: Option<String>,
    // e-mail
    pub smtp_host: Option<String>,
    pub smtp_port: Option<u16>,
    /// `starttls` (default), `tls`, or `none` (loopback relays only).
    pub smtp_tls: Option<String>,
    pub username: Option<String>,
    pub password: Option<String>,
    pub password_env: Option<String>,
    pub from: Option<String>,
    #[serde(default)]
    pub to: Vec<String>,
}

impl fmt::Debug for RawChannel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RawChannel")
            .field("name", &self.name)
            .field("kind", &self.kind)
            .finish_non_exhaustive()
    }
}

/// `[[watch]]` as written.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawWatch {
    pub name: String,
    #[serde(default)]
    pub query: String,
    #[serde(default)]
    pub columns: Vec<String>,
    #[serde(default)]
    pub sources: Vec<String>,
    #[serde(default)]
    pub title_only: bool,
    #[serde(default)]
    pub channels: Vec<String>,
    /// `HH:MM` Beijing time: one digest a day instead of a message per match.
    pub digest: Option<String>,
}

/// `[[leader]]` as written.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawLeader {
    pub name: String,
    #[serde(default)]
    pub title: String,
    #[serde(default)]
    pub aliases: Vec<String>,
}

/// A secret given inline or named by an environment variable.
#[derive(Clone, PartialEq, Eq)]
pub enum SecretRef {
    Inline(Secret),
    Env(String),
}

impl fmt::Debug for SecretRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SecretRef::Inline(_) => f.write_str("Inline(****)"),
            SecretRef::Env(name) => write!(f, "Env({name})"),
        }
    }
}

impl SecretRef {
    /// The secret's value; the error names the variable, never a value.
    pub fn resolve(&self) -> Result<Secret, String> {
        match self {
            SecretRef::Inline(s) => Ok(s.clone()),
            SecretRef::Env(name) => match std::env::var(name) {
                Ok(v) if !v.trim().is_empty() => Ok(Secret::new(v.trim().to_owned())),
                _ => Err(format!("the environment variable {name} is not set")),
            },
        }
    }
}

/// What kind of endpoint a channel is, with what only that kind needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChannelKind {
    /// 企业微信 group robot.
    Wecom {
        markdown: bool,
        mentioned_mobiles: Vec<String>,
    },
    /// 钉钉 robot, signed (加签) when it has a secret.
    Dingtalk,
    /// 飞书 / Lark custom bot, signed when it has a secret.
    Feishu { post: bool },
    /// A generic JSON webhook.
    Webhook,
    /// E-mail over SMTP.
    Email(EmailChannel),
}

/// How an e-mail channel reaches its relay.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmailChannel {
    pub host: String,
    pub port: u16,
    pub tls: SmtpTls,
    pub username: Option<String>,
    pub password: Option<SecretRef>,
    pub from: String,
    pub to: Vec<String>,
}

/// Transport security of an SMTP connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SmtpTls {
    StartTls,
    Tls,
    /// Plain text: only for a relay on the same host.
    None,
}

/// What the deliverer does with a message whose outcome is unknown — its sender died
/// between handing it over and recording the answer, or the endpoint took the request
/// and never answered (a timeout, a connection broken while waiting): the group may or
/// may not have it. `unknown_outcome` on `[[channel]]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnknownOutcome {
    /// `resend`: send it again whole, under the same key, marked
    /// （重发：上次发送结果未知，可能重复）. Exact where the receiver deduplicates on the
    /// key (the JSON webhook's `Idempotency-Key`, an e-mail's `Message-ID`); elsewhere
    /// it may arrive twice, the second copy marked.
    Resend,
    /// `hold`: never send it again on its own: it waits, with its text, for the duty
    /// officer (值班人员) to say 已收到 (the group has it) or 重发 (send it again,
    /// marked) on the 关注 page or with `jujiao watch held`.
    Hold,
}

impl UnknownOutcome {
    /// The default of a kind. Chat robots (企业微信, 钉钉, 飞书) take no idempotency key:
    /// a message sent again after an unknown outcome is a visible duplicate in the
    /// office's group, so they hold it for a person who can look at the group. The JSON
    /// webhook carries an `Idempotency-Key` and e-mail a stable `Message-ID`, so a
    /// receiver can drop the repeat: they resend, which needs nobody.
    pub fn default_for(kind: &ChannelKind) -> UnknownOutcome {
        match kind {
            ChannelKind::Wecom { .. } | ChannelKind::Dingtalk | ChannelKind::Feishu { .. } => {
                UnknownOutcome::Hold
            }
            ChannelKind::Webhook | ChannelKind::Email(_) => UnknownOutcome::Resend,
        }
    }

    /// As written in the file.
    pub fn as_str(self) -> &'static str {
        match self {
            UnknownOutcome::Resend => "resend",
            UnknownOutcome::Hold => "hold",
        }
    }
}

/// A validated `[[channel]]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Channel {
    pub name: String,
    pub kind: ChannelKind,
    /// The endpoint without the token (webhook kinds); empty for e-mail.
    pub url: String,
    pub token: Option<SecretRef>,
    pub secret: Option<SecretRef>,
    pub messages_per_minute: u32,
    pub unknown_outcome: UnknownOutcome,
}

impl Channel {
    /// The short name of the kind, as written in the file.
    pub fn kind_name(&self) -> &'static str {
        match self.kind {
            ChannelKind::Wecom { .. } => "wecom",
            ChannelKind::Dingtalk => "dingtalk",
            ChannelKind::Feishu { .. } => "feishu",
            ChannelKind::Webhook => "webhook",
            ChannelKind::Email(_) => "email",
        }
    }
}

/// A validated `[[watch]]` rule.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct WatchRule {
    pub name: String,
    pub query: String,
    pub columns: Vec<String>,
    pub sources: Vec<String>,
    pub title_only: bool,
    pub channels: Vec<String>,
    /// Minutes after midnight, Beijing time, of the daily digest.
    pub digest_minute: Option<u32>,
}

/// A validated `[[leader]]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Leader {
    pub name: String,
    pub title: String,
    pub aliases: Vec<String>,
}

/// Everything about watching, validated.
#[derive(Debug, Clone, Default)]
pub struct WatchSettings {
    pub channels: Vec<Channel>,
    pub rules: Vec<WatchRule>,
    pub leaders: Vec<Leader>,
}

impl WatchSettings {
    pub fn channel(&self, name: &str) -> Option<&Channel> {
        self.channels.iter().find(|c| c.name == name)
    }
}

/// Parses `HH:MM` into minutes after midnight.
pub fn parse_clock(text: &str) -> Result<u32, String> {
    let (h, m) = text
        .trim()
        .split_once(':')
        .ok_or_else(|| format!("`{text}` is not a time of day; write HH:MM, e.g. 08:30"))?;
    match (h.parse::<u32>(), m.parse::<u32>()) {
        (Ok(h), Ok(m)) if h < 24 && m < 60 && m.to_string().len() <= 2 => Ok(h * 60 + m),
        _ => Err(format!(
            "`{text}` is not a time of day; write HH:MM, e.g. 08:30"
        )),
    }
}

fn secret(
    key: &str,
    field: &str,
    inline: Option<&String>,
    env: Option<&String>,
) -> Result<Option<SecretRef>, KeyError> {
    match (inline, env) {
        (Some(_), Some(_)) => Err(KeyError::invalid(
            format!("{key}.{field}"),
            format!("give either {field} or {field}_env, not both"),
        )),
        (Some(v), None) if v.trim().is_empty() => Err(KeyError::invalid(
            format!("{key}.{field}"),
            "is empty".to_owned(),
        )),
        (Some(v), None) => Ok(Some(SecretRef::Inline(Secret::new(v.trim().to_owned())))),
        (None, Some(name)) if name.trim().is_empty() => Err(KeyError::invalid(
            format!("{key}.{field}_env"),
            "is empty".to_owned(),
        )),
        (None, Some(name)) => Ok(Some(SecretRef::Env(name.trim().to_owned()))),
        (None, None) => Ok(None),
    }
}

fn channel(raw: &RawChannel, key: &str) -> Result<Channel, KeyError> {
    let token = secret(key, "token", raw.token.as_ref(), raw.token_env.as_ref())?;
    let secret_ref = secret(key, "secret", raw.secret.as_ref(), raw.secret_env.as_ref())?;
    let format = raw.format.as_deref();
    let (kind, default_url, default_rate) = match raw.kind.as_str() {
        "wecom" => {
            let markdown = match format {
                None | Some("markdown") => true,
                Some("text") => false,
                Some(other) => {
                    return Err(KeyError::invalid(
                        format!("{key}.format"),
                        format!("`{other}` is not a 企业微信 format; use markdown or text"),
                    ));
                }
            };
            let kind = ChannelKind::Wecom {
                markdown,
                mentioned_mobiles: raw.mentioned_mobiles.clone(),
            };
            (kind, Some(WECOM_URL), ROBOT_MESSAGES_PER_MINUTE)
        }
        "dingtalk" => (
            ChannelKind::Dingtalk,
            Some(DINGTALK_URL),
            ROBOT_MESSAGES_PER_MINUTE,
        ),
        "feishu" => {
            let post = match format {
                None | Some("post") => true,
                Some("text") => false,
                Some(other) => {
                    return Err(KeyError::invalid(
                        format!("{key}.format"),
                        format!("`{other}` is not a 飞书 format; use post or text"),
                    ));
                }
            };
            (
                ChannelKind::Feishu { post },
                Some(FEISHU_URL),
                DEFAULT_MESSAGES_PER_MINUTE,
            )
        }
        "webhook" => (ChannelKind::Webhook, None, DEFAULT_MESSAGES_PER_MINUTE),
        "email" => {
            let need = |v: &Option<String>, field: &str| {
                v.clone().filter(|s| !s.trim().is_empty()).ok_or_else(|| {
                    KeyError::invalid(
                        format!("{key}.{field}"),
                        "is required for e-mail".to_owned(),
                    )
                })
            };
            let tls = match raw.smtp_tls.as_deref() {
                None | Some("starttls") => SmtpTls::StartTls,
                Some("tls") => SmtpTls::Tls,
                Some("none") => SmtpTls::None,
                Some(other) => {
                    return Err(KeyError::invalid(
                        format!("{key}.smtp_tls"),
                        format!("`{other}` is not allowed here; use starttls, tls or none"),
                    ));
                }
            };
            if raw.to.is_empty() {
                return Err(KeyError::invalid(
                    format!("{key}.to"),
                    "name at least one recipient".to_owned(),
                ));
            }
            let email = EmailChannel {
                host: need(&raw.smtp_host, "smtp_host")?,
                port: raw.smtp_port.unwrap_or(match tls {
                    SmtpTls::Tls => 465,
                    SmtpTls::StartTls => 587,
                    SmtpTls::None => 25,
                }),
                tls,
                username: raw.username.clone(),
                password: secret(
                    key,
                    "password",
                    raw.password.as_ref(),
                    raw.password_env.as_ref(),
                )?,
                from: need(&raw.from, "from")?,
                to: raw.to.clone(),
            };
            (ChannelKind::Email(email), None, DEFAULT_MESSAGES_PER_MINUTE)
        }
        other => {
            return Err(KeyError::invalid(
                format!("{key}.kind"),
                format!(
                    "`{other}` is not a channel kind; use wecom, dingtalk, feishu, webhook or email"
                ),
            ));
        }
    };
    let url = match (raw.url.as_deref(), default_url) {
        (Some(u), _) => {
            http_url(&format!("{key}.url"), u)?;
            u.trim_end_matches('/').to_owned()
        }
        (None, Some(d)) => d.to_owned(),
        (None, None) if matches!(kind, ChannelKind::Email(_)) => String::new(),
        (None, None) => {
            return Err(KeyError::invalid(
                format!("{key}.url"),
                "is required for a webhook".to_owned(),
            ));
        }
    };
    if matches!(
        kind,
        ChannelKind::Wecom { .. } | ChannelKind::Dingtalk | ChannelKind::Feishu { .. }
    ) && token.is_none()
    {
        return Err(KeyError::invalid(
            format!("{key}.token"),
            "the robot's key is required (token or token_env)".to_owned(),
        ));
    }
    let messages_per_minute = raw.messages_per_minute.unwrap_or(default_rate);
    if messages_per_minute == 0 {
        return Err(KeyError::invalid(
            format!("{key}.messages_per_minute"),
            "must be at least 1".to_owned(),
        ));
    }
    let unknown_outcome = match raw.unknown_outcome.as_deref().map(str::trim) {
        None => UnknownOutcome::default_for(&kind),
        Some("resend") => UnknownOutcome::Resend,
        Some("hold") => UnknownOutcome::Hold,
        Some(other) => {
            return Err(KeyError::invalid(
                format!("{key}.unknown_outcome"),
                format!("`{other}` is not allowed here; use resend or hold"),
            ));
        }
    };
    Ok(Channel {
        name: raw.name.clone(),
        kind,
        url,
        token,
        secret: secret_ref,
        messages_per_minute,
        unknown_outcome,
    })
}

/// Validates a watch rule written in the file or in the web app: `channels` are the
/// names of the configured channels.
pub fn watch_rule(raw: &RawWatch, key: &str, channels: &[&str]) -> Result<WatchRule, KeyError> {
    if raw.name.trim().is_empty() {
        return Err(KeyError::invalid(
            format!("{key}.name"),
            "is empty".to_owned(),
        ));
    }
    if raw.query.trim().is_empty() && raw.columns.is_empty() && raw.sources.is_empty() {
        return Err(KeyError::invalid(
            format!("{key}.query"),
            "is empty; give words to look for, or columns or sources to follow whole".to_owned(),
        ));
    }
    for c in &raw.channels {
        if !channels.contains(&c.as_str()) {
            return Err(KeyError::invalid(
                format!("{key}.channels"),
                format!("no [[channel]] is named \"{c}\""),
            ));
        }
    }
    let digest_minute = raw
        .digest
        .as_deref()
        .map(parse_clock)
        .transpose()
        .map_err(|m| KeyError::invalid(format!("{key}.digest"), m))?;
    Ok(WatchRule {
        name: raw.name.trim().to_owned(),
        query: raw.query.trim().to_owned(),
        columns: raw.columns.clone(),
        sources: raw.sources.clone(),
        title_only: raw.title_only,
        channels: raw.channels.clone(),
        digest_minute,
    })
}

pub(crate) fn watch_settings(
    channels: &[RawChannel],
    rules: &[RawWatch],
    leaders: &[RawLeader],
) -> Result<WatchSettings, KeyError> {
    let mut out = WatchSettings::default();
    let mut names = HashSet::new();
    for (i, raw) in channels.iter().enumerate() {
        let key = format!("channel[{i}] (name \"{}\")", raw.name);
        if raw.name.trim().is_empty() {
            return Err(KeyError::invalid(
                format!("{key}.name"),
                "is empty".to_owned(),
            ));
        }
        if !names.insert(raw.name.clone()) {
            return Err(KeyError::Duplicate {
                key: format!("{key}.name"),
                what: "channels",
                field: "name",
            });
        }
        out.channels.push(channel(raw, &key)?);
    }
    let channel_names: Vec<&str> = channels.iter().map(|c| c.name.as_str()).collect();
    let mut names = HashSet::new();
    for (i, raw) in rules.iter().enumerate() {
        let key = format!("watch[{i}] (name \"{}\")", raw.name);
        if !names.insert(raw.name.trim().to_owned()) {
            return Err(KeyError::Duplicate {
                key: format!("{key}.name"),
                what: "watch rules",
                field: "name",
            });
        }
        out.rules.push(watch_rule(raw, &key, &channel_names)?);
    }
    let mut names = HashSet::new();
    for (i, raw) in leaders.iter().enumerate() {
        let key = format!("leader[{i}]");
        let name = raw.name.trim();
        if name.chars().count() < 2 {
            return Err(KeyError::invalid(
                format!("{key}.name"),
                "give the full name (two characters or more)".to_owned(),
            ));
        }
        if !names.insert(name.to_owned()) {
            return Err(KeyError::Duplicate {
                key: format!("{key}.name"),
                what: "leaders",
                field: "name",
            });
        }
        out.leaders.push(Leader {
            name: name.to_owned(),
            title: raw.title.trim().to_owned(),
            aliases: raw
                .aliases
                .iter()
                .map(|a| a.trim().to_owned())
                .filter(|a| !a.is_empty())
                .collect(),
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use crate::Config;
    use std::path::Path;

    fn parse(text: &str) -> Result<Config, String> {
        Config::parse(text, Path::new("jujiao.toml")).map_err(|e| e.to_string())
    }

    #[test]
    fn channels_rules_and_leaders_validate() {
        let c = parse(
            r#"
[[channel]]
name = "值班群"
kind = "wecom"
token = "k-123"
[[channel]]
name = "钉钉"
kind = "dingtalk"
token_env = "JJ_DING_TOKEN"
secret = "SEC000"
[[watch]]
name = "区领导"
query = "海淀 \"区委书记\" -广告"
channels = ["值班群", "钉钉"]
digest = "08:30"
[[leader]]
name = "张三"
title = "区委书记"
"#,
        )
        .unwrap();
        assert_eq!(c.watch.channels.len(), 2);
        assert_eq!(c.watch.rules[0].digest_minute, Some(8 * 60 + 30));
        assert_eq!(c.watch.channels[0].url, super::WECOM_URL);
        assert_eq!(c.watch.leaders[0].title, "区委书记");
        let debug = format!("{c:?}");
        assert!(
            !debug.contains("k-123") && !debug.contains("SEC000"),
            "{debug}"
        );
    }

    #[test]
    fn errors_name_the_key() {
        let e =
            parse("[[watch]]\nname = \"x\"\nquery = \"a\"\nchannels = [\"nope\"]\n").unwrap_err();
        assert!(
            e.contains("watch[0] (name \"x\").channels") && e.contains("nope"),
            "{e}"
        );
        let e = parse("[[channel]]\nname = \"a\"\nkind = \"wecom\"\n").unwrap_err();
        assert!(e.contains("channel[0] (name \"a\").token"), "{e}");
        let e = parse("[[channel]]\nname = \"a\"\nkind = \"pager\"\n").unwrap_err();
        assert!(e.contains(".kind"), "{e}");
        let e = parse("[[watch]]\nname = \"x\"\nquery = \"a\"\ndigest = \"25:00\"\n").unwrap_err();
        assert!(e.contains(".digest"), "{e}");
        let e = parse("[[watch]]\nname = \"x\"\n").unwrap_err();
        assert!(e.contains(".query"), "{e}");
        let e = parse("[[leader]]\nname = \"张\"\n").unwrap_err();
        assert!(e.contains("leader[0].name"), "{e}");
        let e = parse("[[channel]]\nname = \"a\"\nkind = \"webhook\"\nurl = \"http://h/\"\ntoken = \"x\"\ntoken_env = \"Y\"\n").unwrap_err();
        assert!(e.contains(".token") && !e.contains("\"x\""), "{e}");
    }

    #[test]
    fn unknown_outcomes_default_per_kind_and_a_bad_value_names_the_key() {
        use super::UnknownOutcome::{Hold, Resend};
        let c = parse(
            r#"
[[channel]]
name = "企业微信"
kind = "wecom"
token = "k"
[[channel]]
name = "钉钉"
kind = "dingtalk"
token = "k"
[[channel]]
name = "飞书"
kind = "feishu"
token = "k"
[[channel]]
name = "钩子"
kind = "webhook"
url = "http://127.0.0.1:9/hook"
[[channel]]
name = "邮件"
kind = "email"
smtp_host = "127.0.0.1"
from = "jj@example.org"
to = ["duty@example.org"]
[[channel]]
name = "重发的群"
kind = "wecom"
token = "k"
unknown_outcome = "resend"
[[channel]]
name = "暂扣的钩子"
kind = "webhook"
url = "http://127.0.0.1:9/hook"
unknown_outcome = "hold"
"#,
        )
        .unwrap();
        let got: Vec<_> = c
            .watch
            .channels
            .iter()
            .map(|ch| ch.unknown_outcome)
            .collect();
        assert_eq!(got, [Hold, Hold, Hold, Resend, Resend, Resend, Hold]);
        let e = parse(
            "[[channel]]\nname = \"a\"\nkind = \"wecom\"\ntoken = \"k\"\nunknown_outcome = \"retry\"\n",
        )
        .unwrap_err();
        assert!(
            e.contains("channel[0] (name \"a\").unknown_outcome") && e.contains("retry"),
            "{e}"
        );
    }

    #[test]
    fn an_env_secret_is_read_when_used() {
        let r = super::SecretRef::Env("JJ_WATCH_TEST_UNSET_VARIABLE".into());
        let e = r.resolve().unwrap_err();
        assert!(e.contains("JJ_WATCH_TEST_UNSET_VARIABLE"));
    }
}
