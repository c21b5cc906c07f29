//! Test support: generated fixture files (PDF with and without a text layer, DOCX,
//! XLSX, images) and a loopback site that serves them, counting requests per path.
#![allow(dead_code)]

mod word97;
pub use word97::word97;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{HeaderValue, Response, StatusCode, Uri, header};
use jujiao_fetch::{FetcherConfig, Politeness};
use lopdf::content::{Content, Operation};
use lopdf::{Document, Object, Stream, dictionary};
use std::collections::HashMap;
use std::io::Write;
use std::sync::{Arc, Mutex};

/// A PDF whose pages carry `pages` as their text layer (one string per page, Courier).
pub fn text_pdf(pages: &[&str]) -> Vec<u8> {
    let mut doc = Document::with_version("1.5");
    let pages_id = doc.new_object_id();
    let font_id = doc.add_object(dictionary! {
        "Type" => "Font", "Subtype" => "Type1", "BaseFont" => "Courier",
    });
    let resources_id = doc.add_object(dictionary! { "Font" => dictionary! { "F1" => font_id } });
    let mut kids: Vec<Object> = Vec::new();
    for text in pages {
        let mut ops = vec![
            Operation::new("BT", vec![]),
            Operation::new("Tf", vec!["F1".into(), 12.into()]),
            Operation::new("Td", vec![50.into(), 800.into()]),
        ];
        for line in text.lines() {
            ops.push(Operation::new("Tj", vec![Object::string_literal(line)]));
            ops.push(Operation::new("Td", vec![0.into(), (-14).into()]));
        }
        ops.push(Operation::new("ET", vec![]));
        let content = Content { operations: ops };
        let content_id = doc.add_object(Stream::new(dictionary! {}, content.encode().unwrap()));
        let page_id = doc.add_object(dictionary! {
            "Type" => "Page", "Parent" => pages_id, "Contents" => content_id,
        });
        kids.push(page_id.into());
    }
    let count = i64::try_from(kids.len()).unwrap();
    doc.objects.insert(
        pages_id,
        Object::Dictionary(dictionary! {
            "Type" => "Pages", "Kids" => kids, "Count" => count,
            "Resources" => resources_id,
            "MediaBox" => vec![0.into(), 0.into(), 595.into(), 842.into()],
        }),
    );
    let catalog_id = doc.add_object(dictionary! { "Type" => "Catalog", "Pages" => pages_id });
    doc.trailer.set("Root", catalog_id);
    let mut out = Vec::new();
    doc.save_to(&mut out).unwrap();
    out
}

/// A "scanned" PDF: one page that only draws an image (gray pixels), no text.
pub fn scanned_pdf() -> Vec<u8> {
    let mut doc = Document::with_version("1.5");
    let pages_id = doc.new_object_id();
    let image_id = doc.add_object(Stream::new(
        dictionary! {
            "Type" => "XObject", "Subtype" => "Image", "Width" => 4, "Height" => 4,
            "ColorSpace" => "DeviceGray", "BitsPerComponent" => 8,
        },
        vec![0x80; 16],
    ));
    let resources_id =
        doc.add_object(dictionary! { "XObject" => dictionary! { "Im1" => image_id } });
    let content = Content {
        operations: vec![
            Operation::new("q", vec![]),
            Operation::new(
                "cm",
                vec![
                    595.into(),
                    0.into(),
                    0.into(),
                    842.into(),
                    0.into(),
                    0.into(),
                ],
            ),
            Operation::new("Do", vec!["Im1".into()]),
            Operation::new("Q", vec![]),
        ],
    };
    let content_id = doc.add_object(Stream::new(dictionary! {}, content.encode().unwrap()));
    let page_id = doc.add_object(dictionary! {
        "Type" => "Page", "Parent" => pages_id, "Contents" => content_id,
        "Resources" => resources_id,
    });
    doc.objects.insert(
        pages_id,
        Object::Dictionary(dictionary! {
            "Type" => "Pages", "Kids" => vec![page_id.into()], "Count" => 1,
            "MediaBox" => vec![0.into(), 0.into(), 595.into(), 842.into()],
        }),
    );
    let catalog_id = doc.add_object(dictionary! { "Type" => "Catalog", "Pages" => pages_id });
    doc.trailer.set("Root", catalog_id);
    let mut out = Vec::new();
    doc.save_to(&mut out).unwrap();
    out
}

fn xml_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// A minimal DOCX with one paragraph per string.
pub fn docx(paragraphs: &[&str]) -> Vec<u8> {
    let mut body = String::new();
    for p in paragraphs {
        body.push_str(&format!(
            "<w:p><w:r><w:t xml:space=\"preserve\">{}</w:t></w:r></w:p>",
            xml_escape(p)
        ));
    }
    let document = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\
         <w:document xmlns:w=\"http://schemas.openxmlformats.org/wordprocessingml/2006/main\">\
         <w:body>{body}</w:body></w:document>"
    );
    let types = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\
        <Types xmlns=\"http://schemas.openxmlformats.org/package/2006/content-types\">\
        <Default Extension=\"xml\" ContentType=\"application/xml\"/>\
        <Override PartName=\"/word/document.xml\" ContentType=\"application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml\"/>\
        </Types>";
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default();
    zip.start_file("[Content_Types].xml", options).unwrap();
    zip.write_all(types.as_bytes()).unwrap();
    zip.start_file("word/document.xml", options).unwrap();
    zip.write_all(document.as_bytes()).unwrap();
    zip.finish().unwrap().into_inner()
}

/// An XLSX with the rows given (strings), written by rust_xlsxwriter.
pub fn xlsx(rows: &[&[&str]]) -> Vec<u8> {
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    for (r, row) in rows.iter().enumerate() {
        for (c, cell) in row.iter().enumerate() {
            sheet
                .write_string(u32::try_from(r).unwrap(), u16::try_from(c).unwrap(), *cell)
                .unwrap();
        }
    }
    sheet
        .write_number(u32::try_from(rows.len()).unwrap(), 0, 42.5)
        .unwrap();
    book.save_to_buffer().unwrap()
}

/// Bytes that sniff as a JPEG, distinct per `seed`.
pub fn jpeg(seed: u8, len: usize) -> Vec<u8> {
    let mut v = vec![0xFF, 0xD8, 0xFF, 0xE0, 0, 0x10, b'J', b'F', b'I', b'F', 0];
    v.extend((0..len).map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed)));
    v
}

/// Bytes that sniff as a PNG.
pub fn png(seed: u8) -> Vec<u8> {
    let mut v = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec();
    v.extend(std::iter::repeat_n(seed, 200));
    v
}

/// What a path answers.
#[derive(Clone)]
pub enum Answer {
    File {
        status: u16,
        content_type: &'static str,
        body: Vec<u8>,
        disposition: Option<&'static str>,
    },
    /// `total` bytes streamed in 64 KiB chunks without a Content-Length, starting like
    /// a PDF: never held in memory on either side.
    Endless { total: u64 },
}

pub fn ok(content_type: &'static str, body: Vec<u8>) -> Answer {
    Answer::File {
        status: 200,
        content_type,
        body,
        disposition: None,
    }
}

#[derive(Clone, Default)]
pub struct SiteState {
    pub routes: Arc<Mutex<HashMap<String, Answer>>>,
    pub hits: Arc<Mutex<HashMap<String, usize>>>,
    pub streamed: Arc<Mutex<u64>>,
    /// Notified when an endless body stops being sent (its stream is dropped: the
    /// client hung up, or it was all sent).
    pub stream_ended: Arc<tokio::sync::Notify>,
}

/// Notifies its `Notify` when dropped (with the stream that owns it).
struct EndGuard(Arc<tokio::sync::Notify>);

impl Drop for EndGuard {
    fn drop(&mut self) {
        self.0.notify_one();
    }
}

/// A loopback site serving `routes`; returns its base URL (`http://127.0.0.1:port`).
pub async fn serve(routes: HashMap<String, Answer>) -> (String, SiteState) {
    let state = SiteState {
        routes: Arc::new(Mutex::new(routes)),
        ..SiteState::default()
    };
    let app = Router::new().fallback(handler).with_state(state.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        axum::serve(listener, app).await.expect("serve");
    });
    (format!("http://{addr}"), state)
}

async fn handler(State(state): State<SiteState>, uri: Uri) -> Response<Body> {
    let path = uri.path().to_owned();
    *state.hits.lock().unwrap().entry(path.clone()).or_default() += 1;
    let answer = state.routes.lock().unwrap().get(&path).cloned();
    match answer {
        None => Response::builder()
            .status(StatusCode::NOT_FOUND)
            .header(header::CONTENT_TYPE, "text/html; charset=utf-8")
            .body(Body::from(
                "<html><body><h1>404 页面不存在</h1></body></html>",
            ))
            .unwrap(),
        Some(Answer::File {
            status,
            content_type,
            body,
            disposition,
        }) => {
            let mut r = Response::builder()
                .status(status)
                .header(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
            if let Some(d) = disposition {
                r = r.header(header::CONTENT_DISPOSITION, HeaderValue::from_static(d));
            }
            r.body(Body::from(body)).unwrap()
        }
        Some(Answer::Endless { total }) => {
            const CHUNK: usize = 64 * 1024;
            let streamed = Arc::clone(&state.streamed);
            let end = EndGuard(Arc::clone(&state.stream_ended));
            let chunks = total.div_ceil(CHUNK as u64);
            let stream = futures_util::stream::iter(0..chunks).map(move |i| {
                let _owned = &end;
                let mut chunk = vec![0u8; CHUNK];
                if i == 0 {
                    chunk[..8].copy_from_slice(b"%PDF-1.4");
                }
                *streamed.lock().unwrap() += CHUNK as u64;
                Ok::<_, std::convert::Infallible>(Bytes::from(chunk))
            });
            Response::builder()
                .status(200)
                .header(header::CONTENT_TYPE, "application/pdf")
                .body(Body::from_stream(stream))
                .unwrap()
        }
    }
}

use futures_util::StreamExt;

/// A fetcher for loopback tests: private addresses allowed, no politeness delay.
pub fn fetcher_config() -> FetcherConfig {
    FetcherConfig {
        allow_private: true,
        politeness: Politeness::off(8),
        ..FetcherConfig::default()
    }
}
