//! An issued briefing as a Word file in the layout offices use for 简报 (after
//! GB/T 9704-2012, 党政机关公文格式), written as WordprocessingML into a zip like
//! [`crate::docx`], with no document-model dependency.
//!
//! - Page A4 (210 × 297 mm); margins top 37 mm, bottom 35, left 28, right 26
//!   (1 mm = 56.7 twips: 2098 / 1984 / 1587 / 1474).
//! - The red header (版头): the series name centred in red, 方正小标宋简体 (the font
//!   table names 宋体 as its alternative) at 36 pt; the number (第N期) below in
//!   仿宋_GB2312 三号; then 编印单位 on the left and the date (2026年12月6日) on the
//!   right (a right tab at the text width) above a red rule (a red bottom border).
//! - 目录: the sections and their items' titles.
//! - Sections 一、二、… in 黑体 三号; item titles centred in 黑体 三号 (16 pt); the
//!   editor's note (按语) in 楷体_GB2312; body text 仿宋_GB2312 三号 with a fixed 28 pt
//!   line (`w:line="560" w:lineRule="exact"`) and a first-line indent of two characters.
//! - Page numbers "— 1 —" in 宋体 四号 in the footer: odd pages right, even pages left,
//!   one character in from the edge (`w:evenAndOddHeaders`).
//! - The closing block (版记): 报送, 抄送 and 印数 between two rules.
//!
//! Every run carries its own `w:rFonts` with `w:eastAsia` (and `w:hint="eastAsia"`), so
//! Word and WPS set the Chinese in the Chinese face whatever the styles say. The zip's
//! entries carry no time stamps beyond the fixed default, so the same issued text gives
//! the same bytes.

use crate::briefing::header_date;
use crate::error::{ExportError, Result};
use crate::text::push_xml_escaped;
use jujiao_model::IssuedText;
use jujiao_model::briefing::chinese_numeral;
use std::io::{Seek, Write};
use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, ZipWriter};

const W_NS: &str = "http://schemas.openxmlformats.org/wordprocessingml/2006/main";
const R_NS: &str = "http://schemas.openxmlformats.org/officeDocument/2006/relationships";
const XML_DECL: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n";

/// Text width between the margins, in twips: 11906 − 1587 − 1474.
const TEXT_WIDTH: u32 = 8845;

/// The faces the layout names: `(latin, east asian)`.
pub mod face {
    /// The red header's series name.
    pub const HEADER: (&str, &str) = ("Times New Roman", "方正小标宋简体");
    /// Body text.
    pub const BODY: (&str, &str) = ("Times New Roman", "仿宋_GB2312");
    /// Section and item titles.
    pub const TITLE: (&str, &str) = ("Times New Roman", "黑体");
    /// Editor's notes.
    pub const NOTE: (&str, &str) = ("Times New Roman", "楷体_GB2312");
    /// Page numbers.
    pub const PAGE: (&str, &str) = ("Times New Roman", "宋体");
}

const RED: &str = "FF0000";

const CONTENT_TYPES: &str = concat!(
    "<Types xmlns=\"http://schemas.openxmlformats.org/package/2006/content-types\">",
    "<Default Extension=\"rels\" ContentType=\"application/vnd.openxmlformats-package.relationships+xml\"/>",
    "<Default Extension=\"xml\" ContentType=\"application/xml\"/>",
    "<Override PartName=\"/word/document.xml\" ContentType=\"application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml\"/>",
    "<Override PartName=\"/word/styles.xml\" ContentType=\"application/vnd.openxmlformats-officedocument.wordprocessingml.styles+xml\"/>",
    "<Override PartName=\"/word/settings.xml\" ContentType=\"application/vnd.openxmlformats-officedocument.wordprocessingml.settings+xml\"/>",
    "<Override PartName=\"/word/fontTable.xml\" ContentType=\"application/vnd.openxmlformats-officedocument.wordprocessingml.fontTable+xml\"/>",
    "<Override PartName=\"/word/footer1.xml\" ContentType=\"application/vnd.openxmlformats-officedocument.wordprocessingml.footer+xml\"/>",
    "<Override PartName=\"/word/footer2.xml\" ContentType=\"application/vnd.openxmlformats-officedocument.wordprocessingml.footer+xml\"/>",
    "<Override PartName=\"/docProps/core.xml\" ContentType=\"application/vnd.openxmlformats-package.core-properties+xml\"/>",
    "</Types>"
);

const PACKAGE_RELS: &str = concat!(
    "<Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\">",
    "<Relationship Id=\"rId1\" Type=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument\" Target=\"word/document.xml\"/>",
    "<Relationship Id=\"rId2\" Type=\"http://schemas.openxmlformats.org/package/2006/relationships/metadata/core-properties\" Target=\"docProps/core.xml\"/>",
    "</Relationships>"
);

const DOCUMENT_RELS: &str = concat!(
    "<Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\">",
    "<Relationship Id=\"rId1\" Type=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles\" Target=\"styles.xml\"/>",
    "<Relationship Id=\"rId2\" Type=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships/settings\" Target=\"settings.xml\"/>",
    "<Relationship Id=\"rId3\" Type=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships/fontTable\" Target=\"fontTable.xml\"/>",
    "<Relationship Id=\"rId4\" Type=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships/footer\" Target=\"footer1.xml\"/>",
    "<Relationship Id=\"rId5\" Type=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships/footer\" Target=\"footer2.xml\"/>",
    "</Relationships>"
);

/// Odd and even footers differ (page number right / left).
const SETTINGS: &str = concat!(
    "<w:settings xmlns:w=\"http://schemas.openxmlformats.org/wordprocessingml/2006/main\">",
    "<w:evenAndOddHeaders/><w:defaultTabStop w:val=\"420\"/>",
    "<w:characterSpacingControl w:val=\"compressPunctuation\"/>",
    "</w:settings>"
);

/// The Chinese faces and what to use where they are missing (`w:altName`).
const FONT_TABLE: &str = concat!(
    "<w:fonts xmlns:w=\"http://schemas.openxmlformats.org/wordprocessingml/2006/main\">",
    "<w:font w:name=\"Times New Roman\"><w:charset w:val=\"00\"/><w:family w:val=\"roman\"/><w:pitch w:val=\"variable\"/></w:font>",
    "<w:font w:name=\"宋体\"><w:altName w:val=\"SimSun\"/><w:charset w:val=\"86\"/><w:family w:val=\"roman\"/><w:pitch w:val=\"variable\"/></w:font>",
    "<w:font w:name=\"方正小标宋简体\"><w:altName w:val=\"宋体\"/><w:charset w:val=\"86\"/><w:family w:val=\"roman\"/><w:pitch w:val=\"variable\"/></w:font>",
    "<w:font w:name=\"仿宋_GB2312\"><w:altName w:val=\"仿宋\"/><w:charset w:val=\"86\"/><w:family w:val=\"roman\"/><w:pitch w:val=\"variable\"/></w:font>",
    "<w:font w:name=\"楷体_GB2312\"><w:altName w:val=\"楷体\"/><w:charset w:val=\"86\"/><w:family w:val=\"roman\"/><w:pitch w:val=\"variable\"/></w:font>",
    "<w:font w:name=\"黑体\"><w:altName w:val=\"SimHei\"/><w:charset w:val=\"86\"/><w:family w:val=\"modern\"/><w:pitch w:val=\"fixed\"/></w:font>",
    "</w:fonts>"
);

/// A run's look.
#[derive(Clone, Copy)]
struct Look {
    face: (&'static str, &'static str),
    /// Half-points.
    size: u32,
    color: Option<&'static str>,
    bold: bool,
}

const BODY: Look = Look {
    face: face::BODY,
    size: 32,
    color: None,
    bold: false,
};
const TITLE: Look = Look {
    face: face::TITLE,
    size: 32,
    color: None,
    bold: false,
};
const NOTE: Look = Look {
    face: face::NOTE,
    size: 32,
    color: None,
    bold: false,
};

/// Paragraph properties used below.
mod ppr {
    /// Body: fixed 28 pt lines, first-line indent of two characters (2 × 16 pt).
    pub const BODY: &str = "<w:spacing w:before=\"0\" w:after=\"0\" w:line=\"560\" w:lineRule=\"exact\"/>\
        <w:ind w:firstLineChars=\"200\" w:firstLine=\"640\"/><w:jc w:val=\"both\"/>";
    pub const CENTER: &str = "<w:spacing w:before=\"0\" w:after=\"0\" w:line=\"560\" w:lineRule=\"exact\"/><w:jc w:val=\"center\"/>";
    pub const PLAIN: &str = "<w:spacing w:before=\"0\" w:after=\"0\" w:line=\"560\" w:lineRule=\"exact\"/><w:jc w:val=\"both\"/>";
}

/// Writes the issue as a `.docx`.
pub fn write<W: Write + Seek>(text: &IssuedText, out: W) -> Result<()> {
    let io = || ExportError::write("docx");
    let mut zip = ZipWriter::new(out);
    let part = SimpleFileOptions::default()
        .compression_method(CompressionMethod::Deflated)
        .unix_permissions(0o644);
    let parts: [(&str, String); 9] = [
        ("[Content_Types].xml", format!("{XML_DECL}{CONTENT_TYPES}")),
        ("_rels/.rels", format!("{XML_DECL}{PACKAGE_RELS}")),
        ("docProps/core.xml", core_xml(text)),
        (
            "word/_rels/document.xml.rels",
            format!("{XML_DECL}{DOCUMENT_RELS}"),
        ),
        ("word/settings.xml", format!("{XML_DECL}{SETTINGS}")),
        ("word/fontTable.xml", format!("{XML_DECL}{FONT_TABLE}")),
        ("word/styles.xml", styles_xml()),
        ("word/footer1.xml", footer_xml("right", "w:right")),
        ("word/footer2.xml", footer_xml("left", "w:left")),
    ];
    for (name, body) in &parts {
        zip.start_file(*name, part)?;
        zip.write_all(body.as_bytes()).map_err(io())?;
    }
    zip.start_file("word/document.xml", part)?;
    zip.write_all(document_xml(text).as_bytes()).map_err(io())?;
    zip.finish()?;
    Ok(())
}

/// The issue as a `.docx` in memory.
pub fn to_bytes(text: &IssuedText) -> Result<Vec<u8>> {
    let mut buf = std::io::Cursor::new(Vec::new());
    write(text, &mut buf)?;
    Ok(buf.into_inner())
}

fn rpr(buf: &mut String, look: Look) {
    let (latin, east) = look.face;
    buf.push_str(&format!(
        "<w:rPr><w:rFonts w:ascii=\"{latin}\" w:hAnsi=\"{latin}\" w:eastAsia=\"{east}\" \
         w:cs=\"{latin}\" w:hint=\"eastAsia\"/>"
    ));
    if look.bold {
        buf.push_str("<w:b/>");
    }
    if let Some(color) = look.color {
        buf.push_str(&format!("<w:color w:val=\"{color}\"/>"));
    }
    buf.push_str(&format!(
        "<w:sz w:val=\"{0}\"/><w:szCs w:val=\"{0}\"/><w:lang w:val=\"en-US\" w:eastAsia=\"zh-CN\"/></w:rPr>",
        look.size
    ));
}

fn run(buf: &mut String, look: Look, text: &str) {
    buf.push_str("<w:r>");
    rpr(buf, look);
    buf.push_str("<w:t xml:space=\"preserve\">");
    push_xml_escaped(buf, &text.replace(['\n', '\r'], " "));
    buf.push_str("</w:t></w:r>");
}

fn paragraph(buf: &mut String, props: &str, look: Look, text: &str) {
    buf.push_str("<w:p><w:pPr>");
    buf.push_str(props);
    buf.push_str("</w:pPr>");
    run(buf, look, text);
    buf.push_str("</w:p>");
}

fn empty_line(buf: &mut String) {
    buf.push_str("<w:p><w:pPr>");
    buf.push_str(ppr::PLAIN);
    buf.push_str("<w:rPr><w:rFonts w:ascii=\"Times New Roman\" w:hAnsi=\"Times New Roman\" w:eastAsia=\"仿宋_GB2312\" w:hint=\"eastAsia\"/><w:sz w:val=\"32\"/></w:rPr></w:pPr></w:p>");
}

fn document_xml(text: &IssuedText) -> String {
    let mut b = String::with_capacity(64 * 1024);
    b.push_str(XML_DECL);
    b.push_str(&format!(
        "<w:document xmlns:w=\"{W_NS}\" xmlns:r=\"{R_NS}\"><w:body>"
    ));

    // 版头: the series name in red, the number, then unit and date over a red rule.
    paragraph(
        &mut b,
        "<w:spacing w:before=\"0\" w:after=\"240\" w:line=\"240\" w:lineRule=\"auto\"/><w:jc w:val=\"center\"/>",
        Look {
            face: face::HEADER,
            size: 72,
            color: Some(RED),
            bold: false,
        },
        &text.series,
    );
    paragraph(&mut b, ppr::CENTER, BODY, &text.number_label());
    b.push_str(&format!(
        "<w:p><w:pPr><w:pBdr><w:bottom w:val=\"single\" w:sz=\"24\" w:space=\"6\" w:color=\"{RED}\"/></w:pBdr>\
         <w:tabs><w:tab w:val=\"right\" w:pos=\"{TEXT_WIDTH}\"/></w:tabs>\
         <w:spacing w:before=\"120\" w:after=\"360\" w:line=\"560\" w:lineRule=\"exact\"/></w:pPr>"
    ));
    run(&mut b, BODY, &text.unit);
    b.push_str("<w:r>");
    rpr(&mut b, BODY);
    b.push_str("<w:tab/></w:r>");
    run(&mut b, BODY, &header_date(text.date));
    b.push_str("</w:p>");

    // 目录.
    paragraph(&mut b, ppr::CENTER, TITLE, "目　录");
    for (i, section) in text.sections.iter().enumerate() {
        paragraph(
            &mut b,
            ppr::PLAIN,
            TITLE,
            &format!("{}、{}", chinese_numeral(i as u32 + 1), section.column),
        );
        for item in &section.items {
            paragraph(&mut b, ppr::BODY, BODY, &item.title);
        }
    }
    empty_line(&mut b);

    // Sections and items.
    for (i, section) in text.sections.iter().enumerate() {
        paragraph(
            &mut b,
            "<w:keepNext/><w:spacing w:before=\"280\" w:after=\"0\" w:line=\"560\" w:lineRule=\"exact\"/>",
            TITLE,
            &format!("{}、{}", chinese_numeral(i as u32 + 1), section.column),
        );
        for item in &section.items {
            paragraph(
                &mut b,
                "<w:keepNext/><w:spacing w:before=\"280\" w:after=\"0\" w:line=\"560\" w:lineRule=\"exact\"/><w:jc w:val=\"center\"/>",
                TITLE,
                &item.title,
            );
            if let Some(note) = &item.note {
                b.push_str("<w:p><w:pPr>");
                b.push_str(ppr::BODY);
                b.push_str("</w:pPr>");
                run(&mut b, Look { bold: true, ..NOTE }, "【按语】");
                run(&mut b, NOTE, note);
                b.push_str("</w:p>");
            }
            for p in &item.paragraphs {
                paragraph(&mut b, ppr::BODY, BODY, p);
            }
            paragraph(
                &mut b,
                "<w:spacing w:before=\"0\" w:after=\"0\" w:line=\"560\" w:lineRule=\"exact\"/><w:jc w:val=\"right\"/>",
                NOTE,
                &format!("（来源：{}）", item.source),
            );
        }
    }

    // 版记: between two rules.
    empty_line(&mut b);
    let lines: Vec<String> = [
        (!text.send_to.is_empty()).then(|| format!("报送：{}", text.send_to)),
        (!text.copy_to.is_empty()).then(|| format!("抄送：{}", text.copy_to)),
        (text.copies > 0).then(|| format!("（共印{}份）", text.copies)),
    ]
    .into_iter()
    .flatten()
    .collect();
    let closing = Look { size: 28, ..BODY };
    if lines.is_empty() {
        b.push_str("<w:p><w:pPr><w:pBdr><w:top w:val=\"single\" w:sz=\"8\" w:space=\"1\" w:color=\"000000\"/></w:pBdr></w:pPr></w:p>");
    }
    for (i, line) in lines.iter().enumerate() {
        let mut borders = String::new();
        if i == 0 {
            borders
                .push_str("<w:top w:val=\"single\" w:sz=\"8\" w:space=\"1\" w:color=\"000000\"/>");
        }
        if i + 1 == lines.len() {
            borders.push_str(
                "<w:bottom w:val=\"single\" w:sz=\"8\" w:space=\"1\" w:color=\"000000\"/>",
            );
        }
        let jc = if line.starts_with('（') {
            "right"
        } else {
            "left"
        };
        let props = format!(
            "<w:pBdr>{borders}</w:pBdr><w:spacing w:before=\"0\" w:after=\"0\" w:line=\"560\" w:lineRule=\"exact\"/>\
             <w:ind w:left=\"315\" w:right=\"315\" w:hangingChars=\"0\"/><w:jc w:val=\"{jc}\"/>"
        );
        paragraph(&mut b, &props, closing, line);
    }

    b.push_str(concat!(
        "<w:sectPr>",
        "<w:footerReference w:type=\"default\" r:id=\"rId4\"/>",
        "<w:footerReference w:type=\"even\" r:id=\"rId5\"/>",
        "<w:pgSz w:w=\"11906\" w:h=\"16838\"/>",
        "<w:pgMar w:top=\"2098\" w:right=\"1474\" w:bottom=\"1984\" w:left=\"1587\" ",
        "w:header=\"851\" w:footer=\"992\" w:gutter=\"0\"/>",
        "<w:docGrid w:type=\"lines\" w:linePitch=\"560\"/>",
        "</w:sectPr></w:body></w:document>"
    ));
    b
}

/// "— N —" with the PAGE field, aligned `jc`, one character (14 pt) in from that side.
fn footer_xml(jc: &str, side: &str) -> String {
    let look = Look {
        face: face::PAGE,
        size: 28,
        color: None,
        bold: false,
    };
    let mut b = String::from(XML_DECL);
    b.push_str(&format!(
        "<w:ftr xmlns:w=\"{W_NS}\" xmlns:r=\"{R_NS}\"><w:p><w:pPr><w:jc w:val=\"{jc}\"/>\
         <w:ind {side}=\"280\"/></w:pPr>"
    ));
    run(&mut b, look, "— ");
    b.push_str("<w:r>");
    rpr(&mut b, look);
    b.push_str("<w:fldChar w:fldCharType=\"begin\"/></w:r><w:r>");
    rpr(&mut b, look);
    b.push_str("<w:instrText xml:space=\"preserve\"> PAGE </w:instrText></w:r><w:r>");
    rpr(&mut b, look);
    b.push_str("<w:fldChar w:fldCharType=\"separate\"/></w:r>");
    run(&mut b, look, "1");
    b.push_str("<w:r>");
    rpr(&mut b, look);
    b.push_str("<w:fldChar w:fldCharType=\"end\"/></w:r>");
    run(&mut b, look, " —");
    b.push_str("</w:p></w:ftr>");
    b
}

fn styles_xml() -> String {
    let (latin, east) = face::BODY;
    format!(
        "{XML_DECL}<w:styles xmlns:w=\"{W_NS}\"><w:docDefaults><w:rPrDefault><w:rPr>\
         <w:rFonts w:ascii=\"{latin}\" w:hAnsi=\"{latin}\" w:eastAsia=\"{east}\" w:cs=\"{latin}\"/>\
         <w:sz w:val=\"32\"/><w:szCs w:val=\"32\"/>\
         <w:lang w:val=\"en-US\" w:eastAsia=\"zh-CN\" w:bidi=\"ar-SA\"/></w:rPr></w:rPrDefault>\
         <w:pPrDefault><w:pPr><w:spacing w:after=\"0\" w:line=\"560\" w:lineRule=\"exact\"/>\
         </w:pPr></w:pPrDefault></w:docDefaults>\
         <w:style w:type=\"paragraph\" w:default=\"1\" w:styleId=\"Normal\"><w:name w:val=\"Normal\"/>\
         <w:qFormat/></w:style></w:styles>"
    )
}

fn core_xml(text: &IssuedText) -> String {
    let mut s = String::from(XML_DECL);
    s.push_str(concat!(
        "<cp:coreProperties ",
        "xmlns:cp=\"http://schemas.openxmlformats.org/package/2006/metadata/core-properties\" ",
        "xmlns:dc=\"http://purl.org/dc/elements/1.1/\" ",
        "xmlns:dcterms=\"http://purl.org/dc/terms/\" ",
        "xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\">",
        "<dc:title>"
    ));
    push_xml_escaped(
        &mut s,
        &format!(
            "{} {} {}",
            text.series,
            text.number_label(),
            header_date(text.date)
        ),
    );
    s.push_str("</dc:title><dc:creator>jujiao</dc:creator></cp:coreProperties>");
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;
    use jujiao_model::{IssueKind, IssuedItem, IssuedSection};
    use std::io::Read;

    fn sample() -> IssuedText {
        IssuedText {
            series: "每日简报".into(),
            unit: "区委办公室编".into(),
            kind: IssueKind::Regular,
            number: 12,
            date: NaiveDate::from_ymd_opt(2026, 12, 6).unwrap(),
            is_correction: false,
            sections: vec![IssuedSection {
                column: "领导活动".into(),
                items: vec![IssuedItem {
                    article_id: 1,
                    revision: 1,
                    title: "区委常委会召开会议 <研究> & 部署".into(),
                    source: "区政府网".into(),
                    url: String::new(),
                    note: Some("请参阅。".into()),
                    is_summary: false,
                    paragraphs: vec!["第一段。".into(), "第二段 ABC。".into()],
                }],
            }],
            send_to: "区委、区政府领导".into(),
            copy_to: "各街道".into(),
            copies: 30,
        }
    }

    fn part(bytes: &[u8], name: &str) -> String {
        let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
        let mut s = String::new();
        zip.by_name(name).unwrap().read_to_string(&mut s).unwrap();
        s
    }

    #[test]
    fn the_layout_is_the_official_one() {
        let bytes = to_bytes(&sample()).unwrap();
        let doc = part(&bytes, "word/document.xml");
        // A4 and the margins 37/35/28/26 mm.
        assert!(doc.contains("<w:pgSz w:w=\"11906\" w:h=\"16838\"/>"));
        assert!(doc.contains("w:top=\"2098\" w:right=\"1474\" w:bottom=\"1984\" w:left=\"1587\""));
        // Red header, number, unit and date, red rule, 目录, sections, body settings.
        assert!(doc.contains("w:eastAsia=\"方正小标宋简体\""));
        assert!(doc.contains("<w:color w:val=\"FF0000\"/><w:sz w:val=\"72\"/>"));
        for want in [
            "每日简报",
            "第12期",
            "区委办公室编",
            "2026年12月6日",
            "目　录",
            "一、领导活动",
            "【按语】",
            "报送：区委、区政府领导",
            "抄送：各街道",
            "（共印30份）",
        ] {
            assert!(doc.contains(want), "{want}");
        }
        assert!(doc.contains("w:color=\"FF0000\"/></w:pBdr>"));
        assert!(doc.contains("区委常委会召开会议 &lt;研究&gt; &amp; 部署"));
        assert!(
            doc.contains("w:line=\"560\" w:lineRule=\"exact\"/><w:ind w:firstLineChars=\"200\"")
        );
        assert!(doc.contains("<w:sz w:val=\"32\"/>"));
        // Every run names its East Asian font.
        let runs = doc.matches("<w:r>").count();
        assert!(runs > 10);
        assert_eq!(doc.matches("<w:r><w:rPr><w:rFonts ").count(), runs);
        assert_eq!(
            doc.matches("<w:rFonts ").count(),
            doc.matches("w:eastAsia=\"").count() - doc.matches("<w:lang ").count()
        );
        let footer = part(&bytes, "word/footer1.xml");
        assert!(footer.contains("— ") && footer.contains(" PAGE ") && footer.contains(" —"));
        assert!(part(&bytes, "word/settings.xml").contains("evenAndOddHeaders"));
        assert!(
            part(&bytes, "word/fontTable.xml")
                .contains("<w:font w:name=\"方正小标宋简体\"><w:altName w:val=\"宋体\"/>")
        );
    }

    #[test]
    fn the_same_text_gives_the_same_bytes() {
        let a = to_bytes(&sample()).unwrap();
        let b = to_bytes(&sample()).unwrap();
        assert_eq!(a, b);
        let mut other = sample();
        other.sections[0].items[0].paragraphs[0] = "改写。".into();
        assert_ne!(a, to_bytes(&other).unwrap());
    }

    #[test]
    fn every_part_is_well_formed_xml() {
        let bytes = to_bytes(&sample()).unwrap();
        let mut zip = zip::ZipArchive::new(std::io::Cursor::new(&bytes[..])).unwrap();
        for i in 0..zip.len() {
            let mut s = String::new();
            let mut f = zip.by_index(i).unwrap();
            f.read_to_string(&mut s).unwrap();
            let mut reader = quick_xml::Reader::from_str(&s);
            loop {
                match reader.read_event() {
                    Ok(quick_xml::events::Event::Eof) => break,
                    Ok(_) => {}
                    Err(e) => panic!("{}: {e}", f.name()),
                }
            }
        }
    }
}
