//! DOCX and XLSX text: the XML parts of the zip, read with quick-xml.

use quick_xml::events::{BytesRef, Event};
use std::io::{Cursor, Read};

/// Why an office file's text could not be read.
pub type TextError = Box<dyn std::error::Error + Send + Sync>;

/// Largest XML part read (decompressed): a zip bomb stops here.
const MAX_PART_BYTES: u64 = 64 * 1024 * 1024;

fn part(
    archive: &mut zip::ZipArchive<Cursor<&[u8]>>,
    name: &str,
) -> Result<Option<String>, TextError> {
    let file = match archive.by_name(name) {
        Ok(f) => f,
        Err(zip::result::ZipError::FileNotFound) => return Ok(None),
        Err(e) => return Err(e.into()),
    };
    let mut text = String::new();
    file.take(MAX_PART_BYTES).read_to_string(&mut text)?;
    Ok(Some(text))
}

/// The character an entity reference stands for.
fn entity(r: &BytesRef<'_>) -> Option<char> {
    match &*r.xml10_content() {
        "lt" => Some('<'),
        "gt" => Some('>'),
        "amp" => Some('&'),
        "quot" => Some('"'),
        "apos" => Some('\''),
        _ => r.resolve_char_ref().ok().flatten(),
    }
}

/// The text of a DOCX: each paragraph (`w:p`) a line, runs (`w:t`) joined, tabs and
/// breaks kept; tables come out a cell per line.
pub fn docx_text(bytes: &[u8]) -> Result<String, TextError> {
    let mut archive = zip::ZipArchive::new(Cursor::new(bytes))?;
    let xml = part(&mut archive, "word/document.xml")?.ok_or("no word/document.xml")?;
    let mut reader = quick_xml::Reader::from_str(&xml);
    let mut out = String::new();
    let mut in_t = false;
    loop {
        match reader.read_event()? {
            Event::Start(e) => match e.name().as_ref() {
                "w:t" => in_t = true,
                "w:tab" => out.push('\t'),
                _ => {}
            },
            Event::Empty(e) => match e.name().as_ref() {
                "w:tab" => out.push('\t'),
                "w:br" | "w:cr" => out.push('\n'),
                _ => {}
            },
            Event::Text(t) if in_t => out.push_str(&t.xml10_content()),
            Event::GeneralRef(r) if in_t => out.extend(entity(&r)),
            Event::End(e) => match e.name().as_ref() {
                "w:t" => in_t = false,
                "w:p" => out.push('\n'),
                _ => {}
            },
            Event::Eof => break,
            _ => {}
        }
    }
    Ok(out)
}

/// Text inside `<t>` elements of an XML part, grouped per `group` element
/// (`si` for shared strings).
fn shared_strings(xml: &str) -> Result<Vec<String>, TextError> {
    let mut reader = quick_xml::Reader::from_str(xml);
    let mut strings = Vec::new();
    let mut current = String::new();
    let mut in_t = false;
    loop {
        match reader.read_event()? {
            Event::Start(e) => match e.local_name().as_ref() {
                "si" => current.clear(),
                "t" => in_t = true,
                _ => {}
            },
            Event::Text(t) if in_t => current.push_str(&t.xml10_content()),
            Event::GeneralRef(r) if in_t => current.extend(entity(&r)),
            Event::End(e) => match e.local_name().as_ref() {
                "t" => in_t = false,
                "si" => strings.push(std::mem::take(&mut current)),
                _ => {}
            },
            Event::Empty(e) if e.local_name().as_ref() == "si" => strings.push(String::new()),
            Event::Eof => break,
            _ => {}
        }
    }
    Ok(strings)
}

/// The text of an XLSX: every sheet, a row per line, cells separated by tabs; shared
/// strings resolved, inline strings and numbers as written.
pub fn xlsx_text(bytes: &[u8]) -> Result<String, TextError> {
    let mut archive = zip::ZipArchive::new(Cursor::new(bytes))?;
    let strings = match part(&mut archive, "xl/sharedStrings.xml")? {
        Some(xml) => shared_strings(&xml)?,
        None => Vec::new(),
    };
    let mut sheets: Vec<String> = archive
        .file_names()
        .filter(|n| n.starts_with("xl/worksheets/sheet") && n.ends_with(".xml"))
        .map(str::to_owned)
        .collect();
    // sheet2 before sheet10.
    sheets.sort_by_key(|n| (n.len(), n.clone()));
    let mut out = String::new();
    for name in sheets {
        let Some(xml) = part(&mut archive, &name)? else {
            continue;
        };
        sheet_text(&xml, &strings, &mut out)?;
        out.push('\n');
    }
    Ok(out)
}

fn sheet_text(xml: &str, strings: &[String], out: &mut String) -> Result<(), TextError> {
    let mut reader = quick_xml::Reader::from_str(xml);
    let mut cell_type = String::new();
    let mut value = String::new();
    let mut in_value = false;
    let mut row = Vec::<String>::new();
    loop {
        match reader.read_event()? {
            Event::Start(e) => match e.local_name().as_ref() {
                "c" => {
                    cell_type = e
                        .try_get_attribute("t")?
                        .map(|a| a.value.into_owned())
                        .unwrap_or_default();
                    value.clear();
                }
                "v" | "t" => in_value = true,
                _ => {}
            },
            Event::Text(t) if in_value => value.push_str(&t.xml10_content()),
            Event::GeneralRef(r) if in_value => value.extend(entity(&r)),
            Event::End(e) => match e.local_name().as_ref() {
                "v" | "t" => in_value = false,
                "c" => {
                    let text = if cell_type == "s" {
                        value
                            .trim()
                            .parse::<usize>()
                            .ok()
                            .and_then(|i| strings.get(i))
                            .cloned()
                            .unwrap_or_default()
                    } else {
                        value.clone()
                    };
                    row.push(text);
                }
                "row" => {
                    while row.last().is_some_and(String::is_empty) {
                        row.pop();
                    }
                    if !row.is_empty() {
                        out.push_str(&row.join("\t"));
                        out.push('\n');
                    }
                    row.clear();
                }
                _ => {}
            },
            Event::Eof => break,
            _ => {}
        }
    }
    Ok(())
}
