//! What extraction returns, its JSON form and its conversion to [`Article`].

use jujiao_model::{Article, Attachment, Disclosure, Image, Paragraph, PublishTime};
use serde::Serialize;

/// How the body (and the other fields) were found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Method {
    /// Every field came from the source's selectors (or they were not configured and
    /// automatic extraction filled them, the body selector having matched).
    Selectors,
    /// No rules were given.
    Automatic,
    /// Rules were given but the body selector matched nothing (or no body selector was
    /// configured), so the body was found automatically.
    SelectorsWithAutomaticFallback,
}

impl Method {
    /// The name used in JSON: `selectors`, `automatic`, `selectors+automatic fallback`.
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Selectors => "selectors",
            Method::Automatic => "automatic",
            Method::SelectorsWithAutomaticFallback => "selectors+automatic fallback",
        }
    }
}

/// An extracted article.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Extraction {
    /// The headline, site suffix removed.
    pub title: Option<String>,
    /// When the page says it was published.
    pub publish_time: Option<PublishTime>,
    /// Author or reporter.
    pub author: Option<String>,
    /// Origin outlet (来源).
    pub origin: Option<String>,
    /// Responsible editor (责任编辑).
    pub editor: Option<String>,
    /// Cleaned paragraph texts, in page order.
    pub paragraphs: Vec<String>,
    /// Images of the body area (absolute URLs when a page URL was given).
    pub images: Vec<Image>,
    /// Attachments of the body area.
    pub attachments: Vec<Attachment>,
    /// The 政府信息公开 table (索引号, 发文字号, 有效性…), when the page has one.
    pub disclosure: Option<Disclosure>,
    /// How the body was found.
    pub method: Method,
    /// The encoding the page was decoded with.
    pub encoding: &'static str,
    /// Decoding problems and fallbacks taken.
    pub warnings: Vec<String>,
}

impl Extraction {
    /// Paragraphs joined by `\n`.
    pub fn body(&self) -> String {
        self.paragraphs.join("\n")
    }

    /// The JSON object documented in the crate root, on one line, keys in this order:
    /// `title, publish_time, author, origin, editor, body, paragraphs, images,
    /// attachments, disclosure (only when the page has a 政府信息公开 table), method,
    /// encoding, warnings`.
    pub fn to_json(&self) -> String {
        let body = self.body();
        let out = JsonOut {
            title: self.title.as_deref(),
            publish_time: self.publish_time.map(|t| t.to_iso()),
            author: self.author.as_deref(),
            origin: self.origin.as_deref(),
            editor: self.editor.as_deref(),
            body: &body,
            paragraphs: &self.paragraphs,
            images: self
                .images
                .iter()
                .map(|i| JsonImage {
                    url: &i.url,
                    alt: i.alt.as_deref(),
                })
                .collect(),
            attachments: self
                .attachments
                .iter()
                .map(|a| JsonAttachment {
                    url: &a.url,
                    name: &a.name,
                    kind: a.kind.extension(),
                })
                .collect(),
            disclosure: self.disclosure.as_ref(),
            method: self.method.as_str(),
            encoding: self.encoding,
            warnings: &self.warnings,
        };
        serde_json::to_string(&out).expect("plain strings and vectors always serialise")
    }

    /// The model's [`Article`] for `source` at `url` (`fetched_at` is left for the caller).
    pub fn to_article(&self, source: &str, url: &str) -> Article {
        Article {
            source: source.to_string(),
            url: url.to_string(),
            title: self.title.clone().unwrap_or_default(),
            published: self.publish_time,
            author: self.author.clone(),
            origin: self.origin.clone(),
            editor: self.editor.clone(),
            paragraphs: self
                .paragraphs
                .iter()
                .map(|p| Paragraph::new(p.as_str()))
                .collect(),
            images: self.images.clone(),
            attachments: self.attachments.clone(),
            fetched_at: None,
            disclosure: self.disclosure.clone(),
        }
    }
}

#[derive(Serialize)]
struct JsonOut<'a> {
    title: Option<&'a str>,
    publish_time: Option<String>,
    author: Option<&'a str>,
    origin: Option<&'a str>,
    editor: Option<&'a str>,
    body: &'a str,
    paragraphs: &'a [String],
    images: Vec<JsonImage<'a>>,
    attachments: Vec<JsonAttachment<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    disclosure: Option<&'a Disclosure>,
    method: &'static str,
    encoding: &'static str,
    warnings: &'a [String],
}

#[derive(Serialize)]
struct JsonImage<'a> {
    url: &'a str,
    alt: Option<&'a str>,
}

#[derive(Serialize)]
struct JsonAttachment<'a> {
    url: &'a str,
    name: &'a str,
    #[serde(rename = "type")]
    kind: &'static str,
}
