//! Readers for the exported bytes: zip entries, raw zip headers, Word paragraphs.

use std::io::{Cursor, Read};

pub fn zip_entries(bytes: &[u8]) -> Vec<(String, Vec<u8>)> {
    let mut archive = zip::ZipArchive::new(Cursor::new(bytes)).expect("a zip archive");
    (0..archive.len())
        .map(|i| {
            let mut f = archive.by_index(i).expect("an entry");
            let mut data = Vec::new();
            f.read_to_end(&mut data).expect("entry bytes");
            (f.name().to_owned(), data)
        })
        .collect()
}

pub fn zip_entry(bytes: &[u8], name: &str) -> String {
    let (_, data) = zip_entries(bytes)
        .into_iter()
        .find(|(n, _)| n == name)
        .unwrap_or_else(|| panic!("no entry {name}"));
    String::from_utf8(data).expect("UTF-8")
}

/// (flags, name) of every central directory record, read from the raw bytes
/// (APPNOTE 4.3.12: signature 0x02014b50, flags at +8, name length at +28, name at +46).
pub fn central_names(bytes: &[u8]) -> Vec<(u16, Vec<u8>)> {
    let u16_at = |i: usize| u16::from_le_bytes([bytes[i], bytes[i + 1]]);
    let mut out = Vec::new();
    let mut i = 0;
    while i + 46 <= bytes.len() {
        if bytes[i..i + 4] == [0x50, 0x4b, 0x01, 0x02] {
            let flags = u16_at(i + 8);
            let (n, m, k) = (
                usize::from(u16_at(i + 28)),
                usize::from(u16_at(i + 30)),
                usize::from(u16_at(i + 32)),
            );
            out.push((flags, bytes[i + 46..i + 46 + n].to_vec()));
            i += 46 + n + m + k;
        } else {
            i += 1;
        }
    }
    out
}

/// Flags of every local file header (signature 0x04034b50, flags at +6).
pub fn local_flags(bytes: &[u8]) -> Vec<u16> {
    bytes
        .windows(8)
        .filter(|w| w[..4] == [0x50, 0x4b, 0x03, 0x04])
        .map(|w| u16::from_le_bytes([w[6], w[7]]))
        .collect()
}

/// (style id, page break before, text) of every paragraph of `word/document.xml`.
pub fn docx_paragraphs(xml: &str) -> Vec<(String, bool, String)> {
    use quick_xml::events::Event;
    let mut reader = quick_xml::Reader::from_str(xml);
    let mut out = Vec::new();
    let (mut style, mut page_break, mut text, mut in_t) =
        (String::new(), false, String::new(), false);
    loop {
        match reader.read_event().expect("well-formed XML") {
            Event::Start(e) | Event::Empty(e) => match e.name().as_ref() {
                "w:p" => {
                    style.clear();
                    text.clear();
                    page_break = false;
                }
                "w:pStyle" => {
                    let v = e
                        .try_get_attribute("w:val")
                        .expect("attribute")
                        .expect("w:val");
                    style = v.value.into_owned();
                }
                "w:pageBreakBefore" => page_break = true,
                "w:t" => in_t = true,
                _ => {}
            },
            Event::Text(t) if in_t => text.push_str(&t.xml10_content()),
            // Entities come as their own events.
            Event::GeneralRef(r) if in_t => text.push(match &*r.xml10_content() {
                "lt" => '<',
                "gt" => '>',
                "amp" => '&',
                "quot" => '"',
                "apos" => '\'',
                _ => r.resolve_char_ref().ok().flatten().expect("a known entity"),
            }),
            Event::End(e) => match e.name().as_ref() {
                "w:t" => in_t = false,
                "w:p" => out.push((style.clone(), page_break, text.clone())),
                _ => {}
            },
            Event::Eof => break,
            _ => {}
        }
    }
    out
}
