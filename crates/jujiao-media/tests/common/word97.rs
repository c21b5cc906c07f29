//! Generated Word 97–2003 (`.doc`, and WPS Office `.wps`) files: an OLE compound file
//! with a `WordDocument` stream (a minimal FIB, then the text) and a `1Table` stream
//! holding the piece table. Shared by the tests and the text bench.

use std::io::{Cursor, Write};

/// Where the text starts in the WordDocument stream (after the FIB).
const TEXT_AT: usize = 1024;

/// A Word 97 document whose main text is `unicode` (UTF-16 piece) followed by `ascii`
/// (an 8-bit "compressed" piece, as Word stores Latin-only runs); `\r` ends paragraphs.
pub fn word97(unicode: &str, ascii: &str) -> Vec<u8> {
    assert!(ascii.is_ascii());
    let utf16: Vec<u8> = unicode.encode_utf16().flat_map(u16::to_le_bytes).collect();
    let n1 = u32::try_from(unicode.encode_utf16().count()).expect("short text");
    let n2 = u32::try_from(ascii.len()).expect("generated in memory");
    let mut doc = vec![0u8; TEXT_AT];
    let put16 =
        |doc: &mut Vec<u8>, at: usize, v: u16| doc[at..at + 2].copy_from_slice(&v.to_le_bytes());
    let put32 =
        |doc: &mut Vec<u8>, at: usize, v: u32| doc[at..at + 4].copy_from_slice(&v.to_le_bytes());
    put16(&mut doc, 0, 0xA5EC); // wIdent
    put16(&mut doc, 2, 0x00C1); // nFib: Word 97
    put16(&mut doc, 0x0A, 0x0200); // fWhichTblStm: 1Table
    put16(&mut doc, 32, 14); // csw
    put16(&mut doc, 62, 22); // cslw
    put32(&mut doc, 64 + 12, n1 + n2); // ccpText
    put16(&mut doc, 152, 0x5D); // cbRgFcLcb (Word 97)
    doc.extend_from_slice(&utf16);
    let ascii_at = doc.len();
    doc.extend_from_slice(ascii.as_bytes());

    let mut plc = Vec::new();
    for cp in [0, n1, n1 + n2] {
        plc.extend(cp.to_le_bytes());
    }
    let fc_ascii = u32::try_from(ascii_at * 2).expect("generated in memory") | 0x4000_0000;
    for fc in [
        u32::try_from(TEXT_AT).expect("generated in memory"),
        fc_ascii,
    ] {
        plc.extend([0, 0]);
        plc.extend(fc.to_le_bytes());
        plc.extend([0, 0]);
    }
    // A Prc (formatting, skipped by readers) before the Pcdt, as Word writes them.
    let mut table = vec![0x01, 0x02, 0x00, 0xAA, 0xBB];
    let fc_clx = u32::try_from(table.len()).expect("generated in memory");
    table.push(0x02);
    table.extend(
        u32::try_from(plc.len())
            .expect("generated in memory")
            .to_le_bytes(),
    );
    table.extend(plc);
    let lcb_clx = u32::try_from(table.len()).expect("generated in memory") - fc_clx;
    put32(&mut doc, 154 + 33 * 8, fc_clx);
    put32(&mut doc, 154 + 33 * 8 + 4, lcb_clx);

    let mut file = cfb::CompoundFile::create(Cursor::new(Vec::new())).expect("generated in memory");
    file.create_stream("/WordDocument")
        .expect("generated in memory")
        .write_all(&doc)
        .expect("generated in memory");
    file.create_stream("/1Table")
        .expect("generated in memory")
        .write_all(&table)
        .expect("generated in memory");
    file.flush().expect("generated in memory");
    file.into_inner().into_inner()
}
