//! Images in the Word briefing: each stored image of an article becomes an inline
//! picture (DrawingML `wp:inline`) after the article's text, its bytes a
//! `word/media/imageN.ext` part related to the document. Sizes come from the image's
//! own header (JPEG SOF, PNG IHDR, GIF screen, BMP info), scaled to the text width.

use crate::ExportFiles;
use jujiao_store::ArticleFileEntry;

/// The drawing namespaces declared on `w:document`.
pub(crate) const NAMESPACES: &str = concat!(
    " xmlns:wp=\"http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing\"",
    " xmlns:a=\"http://schemas.openxmlformats.org/drawingml/2006/main\"",
    " xmlns:pic=\"http://schemas.openxmlformats.org/drawingml/2006/picture\""
);

/// Text width of an A4 page with the document's margins: 21 cm − 2 × 3.175 cm, in EMU.
const MAX_WIDTH_EMU: u64 = 5_274_310;
/// EMU per pixel at 96 dpi.
const EMU_PER_PX: u64 = 9_525;

/// Images embedded so far: (part name under `word/`, bytes).
#[derive(Debug, Default)]
pub(crate) struct Embedded {
    pub parts: Vec<(String, Vec<u8>)>,
}

impl Embedded {
    /// The relationship id of the `n`th image.
    fn rel_id(n: usize) -> String {
        format!("rImg{}", n + 1)
    }

    /// Appends a centred picture paragraph per stored image of the article; images
    /// Word cannot show (WebP) or that cannot be read are left out.
    pub fn article_images(&mut self, buf: &mut String, files: &ExportFiles, article_id: i64) {
        for entry in files.images_of(article_id) {
            let Some(ext) = extension(entry) else {
                continue;
            };
            let Ok(bytes) = files.read(entry) else {
                continue;
            };
            let (w, h) = dimensions(&bytes).unwrap_or((800, 600));
            let (cx, cy) = scaled(w, h);
            let n = self.parts.len();
            let id = n + 1;
            let rel = Self::rel_id(n);
            buf.push_str(&format!(
                "<w:p><w:pPr><w:jc w:val=\"center\"/></w:pPr><w:r><w:drawing>\
                 <wp:inline distT=\"0\" distB=\"0\" distL=\"0\" distR=\"0\">\
                 <wp:extent cx=\"{cx}\" cy=\"{cy}\"/><wp:docPr id=\"{id}\" name=\"图片 {id}\"/>\
                 <a:graphic><a:graphicData uri=\"http://schemas.openxmlformats.org/drawingml/2006/picture\">\
                 <pic:pic><pic:nvPicPr><pic:cNvPr id=\"{id}\" name=\"image{id}.{ext}\"/><pic:cNvPicPr/></pic:nvPicPr>\
                 <pic:blipFill><a:blip r:embed=\"{rel}\"/><a:stretch><a:fillRect/></a:stretch></pic:blipFill>\
                 <pic:spPr><a:xfrm><a:off x=\"0\" y=\"0\"/><a:ext cx=\"{cx}\" cy=\"{cy}\"/></a:xfrm>\
                 <a:prstGeom prst=\"rect\"><a:avLst/></a:prstGeom></pic:spPr></pic:pic>\
                 </a:graphicData></a:graphic></wp:inline></w:drawing></w:r></w:p>"
            ));
            self.parts.push((format!("media/image{id}.{ext}"), bytes));
        }
    }

    /// The relationships of the image parts, for `document.xml.rels`.
    pub fn relationships(&self) -> String {
        let mut s = String::new();
        for (n, (target, _)) in self.parts.iter().enumerate() {
            s.push_str(&format!(
                "<Relationship Id=\"{}\" Type=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships/image\" Target=\"{target}\"/>",
                Self::rel_id(n)
            ));
        }
        s
    }
}

fn extension(entry: &ArticleFileEntry) -> Option<&'static str> {
    match entry.mime.as_str() {
        "image/jpeg" => Some("jpg"),
        "image/png" => Some("png"),
        "image/gif" => Some("gif"),
        "image/bmp" => Some("bmp"),
        _ => None,
    }
}

/// Width and height in EMU: the pixel size at 96 dpi, shrunk to the text width.
fn scaled(w: u32, h: u32) -> (u64, u64) {
    let (w, h) = (u64::from(w.max(1)), u64::from(h.max(1)));
    let (cx, cy) = (w * EMU_PER_PX, h * EMU_PER_PX);
    if cx <= MAX_WIDTH_EMU {
        (cx, cy)
    } else {
        (MAX_WIDTH_EMU, cy * MAX_WIDTH_EMU / cx)
    }
}

/// Pixel width and height from the image header.
pub(crate) fn dimensions(b: &[u8]) -> Option<(u32, u32)> {
    let be16 = |i: usize| Some(u32::from(u16::from_be_bytes([*b.get(i)?, *b.get(i + 1)?])));
    let le16 = |i: usize| Some(u32::from(u16::from_le_bytes([*b.get(i)?, *b.get(i + 1)?])));
    let be32 = |i: usize| Some(u32::from_be_bytes(b.get(i..i + 4)?.try_into().ok()?));
    let le32 = |i: usize| Some(u32::from_le_bytes(b.get(i..i + 4)?.try_into().ok()?));
    if b.starts_with(b"\x89PNG") {
        return Some((be32(16)?, be32(20)?));
    }
    if b.starts_with(b"GIF8") {
        return Some((le16(6)?, le16(8)?));
    }
    if b.starts_with(b"BM") {
        return Some((le32(18)?, le32(22)?.min(i32::MAX as u32)));
    }
    if b.starts_with(&[0xFF, 0xD8]) {
        // Walk the markers to a start-of-frame (C0–CF except C4, C8, CC).
        let mut i = 2;
        while i + 9 < b.len() {
            if b[i] != 0xFF {
                i += 1;
                continue;
            }
            let marker = b[i + 1];
            if (0xC0..=0xCF).contains(&marker) && ![0xC4, 0xC8, 0xCC].contains(&marker) {
                return Some((be16(i + 7)?, be16(i + 5)?));
            }
            if marker == 0xD8 || marker == 0x01 || (0xD0..=0xD7).contains(&marker) {
                i += 2;
                continue;
            }
            i += 2 + usize::try_from(be16(i + 2)?).ok()?;
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_come_from_the_headers() {
        let mut png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec();
        png.extend(640u32.to_be_bytes());
        png.extend(480u32.to_be_bytes());
        assert_eq!(dimensions(&png), Some((640, 480)));
        let gif = b"GIF89a\x20\x03\x58\x02";
        assert_eq!(dimensions(gif), Some((800, 600)));
        // JPEG: SOI, an APP0 segment, then SOF0 with height 300, width 400.
        let mut jpeg = vec![0xFF, 0xD8, 0xFF, 0xE0, 0, 4, 0, 0];
        jpeg.extend([0xFF, 0xC0, 0, 11, 8, 0x01, 0x2C, 0x01, 0x90, 3, 0, 0, 0]);
        assert_eq!(dimensions(&jpeg), Some((400, 300)));
        assert_eq!(dimensions(b"nothing"), None);
    }

    #[test]
    fn wide_images_shrink_to_the_text_width() {
        assert_eq!(scaled(100, 50), (952_500, 476_250));
        let (cx, cy) = scaled(4000, 2000);
        assert_eq!(cx, MAX_WIDTH_EMU);
        assert_eq!(cy, MAX_WIDTH_EMU / 2);
    }
}
