//! Text of binary Word 97–2003 documents (`.doc`) and of WPS Office's `.wps` files,
//! which use the same format: an OLE compound file (read with `cfb`) whose
//! `WordDocument` stream starts with the FIB and whose table stream (`0Table` or
//! `1Table`) holds the piece table (MS-DOC §2.4.1 "Retrieving Text").
//!
//! Only the main document's text is read (`ccpText` characters: no headers, footnotes
//! or text boxes). Field codes (`HYPERLINK "…"`, `PAGE`) are dropped, their results
//! kept. An encrypted or Word 6/95 file (FIB older than Word 97) is an error
//! ([`Word97Error::Unsupported`]); the file is then stored without text.

use std::io::{Cursor, Read};

/// Why a file's text was not read.
#[derive(Debug, thiserror::Error)]
pub enum Word97Error {
    #[error("not an OLE compound file with a WordDocument stream: {0}")]
    NotWord(String),
    #[error("Word format not supported for text: {0}")]
    Unsupported(&'static str),
    #[error("damaged Word document: {0}")]
    Damaged(&'static str),
}

/// `wIdent` of a Word 97+ FIB.
const WORD_IDENT: u16 = 0xA5EC;
/// The first `nFib` of Word 97 (older ones are Word 6/95, another layout).
const NFIB_WORD97: u16 = 0x00C1;
/// Index of `fcClx` in `FibRgFcLcb97` (pairs of fc/lcb).
const CLX_INDEX: usize = 33;
/// Most characters read (a bound on damaged piece tables; far above any notice).
const MAX_CHARS: usize = 4 * 1024 * 1024;

fn u16_at(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_le_bytes(b.get(at..at + 2)?.try_into().ok()?))
}

fn u32_at(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(b.get(at..at + 4)?.try_into().ok()?))
}

fn to_usize(n: u32) -> usize {
    usize::try_from(n).unwrap_or(usize::MAX)
}

fn read_stream(
    file: &mut cfb::CompoundFile<Cursor<&[u8]>>,
    name: &str,
) -> Result<Vec<u8>, Word97Error> {
    let mut stream = file
        .open_stream(name)
        .map_err(|e| Word97Error::NotWord(format!("{name}: {e}")))?;
    let mut out = Vec::new();
    stream
        .read_to_end(&mut out)
        .map_err(|e| Word97Error::NotWord(format!("{name}: {e}")))?;
    Ok(out)
}

/// The main text of a Word 97–2003 (or WPS) document.
pub fn word97_text(bytes: &[u8]) -> Result<String, Word97Error> {
    let mut file = cfb::CompoundFile::open(Cursor::new(bytes))
        .map_err(|e| Word97Error::NotWord(e.to_string()))?;
    let doc = read_stream(&mut file, "/WordDocument")?;
    if u16_at(&doc, 0) != Some(WORD_IDENT) {
        return Err(Word97Error::NotWord("no Word FIB".into()));
    }
    let n_fib = u16_at(&doc, 2).ok_or(Word97Error::Damaged("short FIB"))?;
    if n_fib < NFIB_WORD97 {
        return Err(Word97Error::Unsupported("Word 6/95 or older"));
    }
    let flags = u16_at(&doc, 0x0A).ok_or(Word97Error::Damaged("short FIB"))?;
    if flags & 0x0100 != 0 {
        return Err(Word97Error::Unsupported("encrypted"));
    }
    let table_name = if flags & 0x0200 != 0 {
        "/1Table"
    } else {
        "/0Table"
    };
    // FibBase (32 bytes), csw + FibRgW97, cslw + FibRgLw97, cbRgFcLcb + FibRgFcLcb.
    let csw = usize::from(u16_at(&doc, 32).ok_or(Word97Error::Damaged("short FIB"))?);
    let cslw_at = 34 + 2 * csw;
    let cslw = usize::from(u16_at(&doc, cslw_at).ok_or(Word97Error::Damaged("short FIB"))?);
    let rg_lw = cslw_at + 2;
    let ccp_text = to_usize(u32_at(&doc, rg_lw + 12).ok_or(Word97Error::Damaged("short FIB"))?);
    let rg_fc_lcb = rg_lw + 4 * cslw + 2;
    let fc_clx =
        to_usize(u32_at(&doc, rg_fc_lcb + 8 * CLX_INDEX).ok_or(Word97Error::Damaged("short FIB"))?);
    let lcb_clx = to_usize(
        u32_at(&doc, rg_fc_lcb + 8 * CLX_INDEX + 4).ok_or(Word97Error::Damaged("short FIB"))?,
    );
    let table = read_stream(&mut file, table_name)?;
    let clx = table
        .get(fc_clx..fc_clx.saturating_add(lcb_clx))
        .ok_or(Word97Error::Damaged("piece table outside the table stream"))?;
    let pieces = piece_table(clx)?;
    let mut raw = String::new();
    let mut remaining = ccp_text.min(MAX_CHARS);
    for piece in pieces {
        if remaining == 0 {
            break;
        }
        let n = piece.chars.min(remaining);
        remaining -= n;
        if piece.is_compressed {
            let part = doc
                .get(piece.offset..piece.offset.saturating_add(n))
                .ok_or(Word97Error::Damaged("a piece lies outside the document"))?;
            raw.push_str(
                &encoding_rs::WINDOWS_1252
                    .decode_without_bom_handling(part)
                    .0,
            );
        } else {
            let part = doc
                .get(piece.offset..piece.offset.saturating_add(2 * n))
                .ok_or(Word97Error::Damaged("a piece lies outside the document"))?;
            let units = part
                .chunks_exact(2)
                .map(|c| u16::from_le_bytes([c[0], c[1]]));
            raw.extend(char::decode_utf16(units).map(|c| c.unwrap_or('\u{FFFD}')));
        }
    }
    Ok(clean(&raw))
}

/// One run of characters of the piece table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Piece {
    /// Byte offset in the WordDocument stream.
    offset: usize,
    chars: usize,
    /// 8-bit characters (Windows-1252) instead of UTF-16.
    is_compressed: bool,
}

/// The pieces of a `Clx`: `Prc` entries (formatting, skipped) then the `Pcdt`.
fn piece_table(clx: &[u8]) -> Result<Vec<Piece>, Word97Error> {
    let mut at = 0;
    loop {
        match clx.get(at) {
            Some(0x01) => {
                let cb = usize::from(u16_at(clx, at + 1).ok_or(Word97Error::Damaged("Prc"))?);
                at += 3 + cb;
            }
            Some(0x02) => break,
            _ => return Err(Word97Error::Damaged("no piece table in the Clx")),
        }
    }
    let lcb = to_usize(u32_at(clx, at + 1).ok_or(Word97Error::Damaged("Pcdt"))?);
    let plc = clx
        .get(at + 5..at + 5 + lcb)
        .ok_or(Word97Error::Damaged("Pcdt longer than the Clx"))?;
    if lcb < 4 || !(lcb - 4).is_multiple_of(12) {
        return Err(Word97Error::Damaged("PlcPcd size"));
    }
    let n = (lcb - 4) / 12;
    let mut pieces = Vec::with_capacity(n);
    for i in 0..n {
        let start = u32_at(plc, 4 * i).ok_or(Word97Error::Damaged("PlcPcd"))?;
        let end = u32_at(plc, 4 * (i + 1)).ok_or(Word97Error::Damaged("PlcPcd"))?;
        let pcd = 4 * (n + 1) + 8 * i;
        let fc = u32_at(plc, pcd + 2).ok_or(Word97Error::Damaged("Pcd"))?;
        let is_compressed = fc & 0x4000_0000 != 0;
        let fc = fc & 0x3FFF_FFFF;
        pieces.push(Piece {
            offset: to_usize(if is_compressed { fc / 2 } else { fc }),
            chars: to_usize(end.saturating_sub(start)),
            is_compressed,
        });
    }
    Ok(pieces)
}

/// Word's special characters as text: paragraph, cell and line marks become line
/// breaks, field codes are dropped (their shown result kept), objects and other
/// control characters disappear.
fn clean(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    // Nesting of fields whose code (before the separator) is being skipped.
    let mut in_code: Vec<bool> = Vec::new();
    for c in raw.chars() {
        match c {
            '\u{13}' => in_code.push(true),
            '\u{14}' => {
                if let Some(top) = in_code.last_mut() {
                    *top = false;
                }
            }
            '\u{15}' => {
                in_code.pop();
            }
            _ if in_code.iter().any(|&code| code) => {}
            '\r' | '\u{07}' | '\u{0B}' | '\u{0C}' => out.push('\n'),
            '\t' => out.push('\t'),
            '\u{1E}' => out.push('-'),
            '\u{A0}' => out.push(' '),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn field_codes_are_dropped_and_marks_become_lines() {
        let raw =
            "第一段\r见\u{13} HYPERLINK \"http://x\" \u{14}网站\u{15}。\u{07}表格\u{07}\u{01}";
        assert_eq!(clean(raw), "第一段\n见网站。\n表格\n");
    }

    #[test]
    fn not_a_compound_file_is_an_error_not_a_panic() {
        assert!(matches!(
            word97_text(b"PK\x03\x04 not ole"),
            Err(Word97Error::NotWord(_))
        ));
        assert!(word97_text(&[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1]).is_err());
    }
}
