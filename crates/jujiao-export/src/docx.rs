//! [`Format::Docx`](crate::Format::Docx): the briefing as a Word document, written
//! directly as WordprocessingML (ECMA-376) into a zip with the workspace's `zip` crate —
//! five small parts, no document-model dependency.
//!
//! Layout: the title (style `Title`, e.g. `每日简报 2026年11月27日`); each column a
//! `Heading1` starting a new page (except the first); each article a `Heading2`, a meta
//! line (style `Meta`: 来源/日期/作者 and a `原文链接` hyperlink for web URLs), then its
//! display lines as `BodyText` paragraphs with a first-line indent of two characters
//! (`w:firstLineChars="200"`). Fonts, in the styles' run properties: body 宋体 (Latin
//! Times New Roman) 小四 12 pt; title 黑体 小二 18 pt, Heading 1 黑体 三号 16 pt,
//! Heading 2 黑体 四号 14 pt; meta 楷体 五号 10.5 pt; East Asian language zh-CN.
//! Headings use Word's built-in names (`heading 1`, `heading 2`) so the navigation
//! pane and a table of contents pick them up. Page A4.

use crate::error::{ExportError, Result};
use crate::text::{column_runs, display_lines, meta_line, push_xml_escaped};
use crate::{ExportOptions, ExportReport, briefing_title};
use jujiao_store::FiledArticle;
use std::io::{Seek, Write};
use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, ZipWriter};

const W_NS: &str = "http://schemas.openxmlformats.org/wordprocessingml/2006/main";
const R_NS: &str = "http://schemas.openxmlformats.org/officeDocument/2006/relationships";
const XML_DECL: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n";

const CONTENT_TYPES: &str = concat!(
    "<Types xmlns=\"http://schemas.openxmlformats.org/package/2006/content-types\">",
    "<Default Extension=\"rels\" ContentType=\"application/vnd.openxmlformats-package.relationships+xml\"/>",
    "<Default Extension=\"xml\" ContentType=\"application/xml\"/>",
    "<Default Extension=\"jpg\" ContentType=\"image/jpeg\"/>",
    "<Default Extension=\"png\" ContentType=\"image/png\"/>",
    "<Default Extension=\"gif\" ContentType=\"image/gif\"/>",
    "<Default Extension=\"bmp\" ContentType=\"image/bmp\"/>",
    "<Override PartName=\"/word/document.xml\" ContentType=\"application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml\"/>",
    "<Override PartName=\"/word/styles.xml\" ContentType=\"application/vnd.openxmlformats-officedocument.wordprocessingml.styles+xml\"/>",
    "<Override PartName=\"/docProps/core.xml\" ContentType=\"application/vnd.openxmlformats-package.core-properties+xml\"/>",
    "</Types>"
);

const PACKAGE_RELS: &str = concat!(
    "<Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\">",
    "<Relationship Id=\"rId1\" Type=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument\" Target=\"word/document.xml\"/>",
    "<Relationship Id=\"rId2\" Type=\"http://schemas.openxmlformats.org/package/2006/relationships/metadata/core-properties\" Target=\"docProps/core.xml\"/>",
    "</Relationships>"
);

/// Run fonts: Latin, East Asian.
const BODY_FONTS: (&str, &str) = ("Times New Roman", "宋体");
const HEADING_FONTS: (&str, &str) = ("黑体", "黑体");
const META_FONTS: (&str, &str) = ("Times New Roman", "楷体");

/// The style ids the document uses.
pub mod style {
    pub const TITLE: &str = "Title";
    pub const HEADING1: &str = "Heading1";
    pub const HEADING2: &str = "Heading2";
    pub const META: &str = "Meta";
    pub const BODY: &str = "BodyText";
}

/// Writes the Word briefing.
pub fn write<W: Write + Seek>(
    articles: &[FiledArticle],
    files: Option<&crate::ExportFiles>,
    options: &ExportOptions,
    out: W,
) -> Result<ExportReport> {
    let title = briefing_title(options, articles);
    let io = ExportError::write("docx");
    let mut zip = ZipWriter::new(out);
    let part = SimpleFileOptions::default()
        .compression_method(CompressionMethod::Deflated)
        .unix_permissions(0o644);
    zip.start_file("[Content_Types].xml", part)?;
    write_parts(&mut zip, &[XML_DECL, CONTENT_TYPES]).map_err(io)?;
    zip.start_file("_rels/.rels", part)?;
    write_parts(&mut zip, &[XML_DECL, PACKAGE_RELS]).map_err(ExportError::write("docx"))?;
    zip.start_file("docProps/core.xml", part)?;
    zip.write_all(core_xml(&title).as_bytes())
        .map_err(ExportError::write("docx"))?;
    zip.start_file("word/styles.xml", part)?;
    zip.write_all(styles_xml().as_bytes())
        .map_err(ExportError::write("docx"))?;

    zip.start_file("word/document.xml", part)?;
    let mut links: Vec<&str> = Vec::new();
    let mut images = crate::docx_images::Embedded::default();
    let mut buf = String::with_capacity(64 * 1024);
    buf.push_str(XML_DECL);
    buf.push_str(&format!(
        "<w:document xmlns:w=\"{W_NS}\" xmlns:r=\"{R_NS}\"{}><w:body>",
        crate::docx_images::NAMESPACES
    ));
    paragraph(&mut buf, style::TITLE, false, &title);
    for (i, run) in column_runs(articles).enumerate() {
        paragraph(&mut buf, style::HEADING1, i > 0, &run[0].filing.column);
        for fa in run {
            article(&mut buf, fa, &mut links);
            if let Some(files) = files {
                images.article_images(&mut buf, files, fa.article_id.0);
            }
            if buf.len() > 48 * 1024 {
                zip.write_all(buf.as_bytes())
                    .map_err(ExportError::write("docx"))?;
                buf.clear();
            }
        }
    }
    buf.push_str(concat!(
        "<w:sectPr><w:pgSz w:w=\"11906\" w:h=\"16838\"/>",
        "<w:pgMar w:top=\"1440\" w:right=\"1800\" w:bottom=\"1440\" w:left=\"1800\" ",
        "w:header=\"851\" w:footer=\"992\" w:gutter=\"0\"/></w:sectPr>",
        "</w:body></w:document>"
    ));
    zip.write_all(buf.as_bytes())
        .map_err(ExportError::write("docx"))?;

    zip.start_file("word/_rels/document.xml.rels", part)?;
    zip.write_all(document_rels(&links, &images.relationships()).as_bytes())
        .map_err(ExportError::write("docx"))?;
    for (name, bytes) in &images.parts {
        zip.start_file(format!("word/{name}"), part)?;
        zip.write_all(bytes).map_err(ExportError::write("docx"))?;
    }
    zip.finish()?;
    Ok(ExportReport {
        articles: articles.len(),
        ..ExportReport::default()
    })
}

fn write_parts(w: &mut impl Write, parts: &[&str]) -> std::io::Result<()> {
    parts.iter().try_for_each(|p| w.write_all(p.as_bytes()))
}

/// The relationship id of the `n`th hyperlink (`rId1` is the styles part).
fn link_id(n: usize) -> String {
    format!("rId{}", n + 2)
}

fn article<'a>(buf: &mut String, fa: &'a FiledArticle, links: &mut Vec<&'a str>) {
    let a = &fa.article;
    paragraph(buf, style::HEADING2, false, &a.title);
    let meta = meta_line(a);
    let is_web = a.url.starts_with("http://") || a.url.starts_with("https://");
    if !meta.is_empty() || is_web {
        open_paragraph(buf, style::META, false);
        if !meta.is_empty() {
            text_run(buf, &meta);
        }
        if is_web {
            if !meta.is_empty() {
                text_run(buf, "　");
            }
            buf.push_str("<w:hyperlink r:id=\"");
            buf.push_str(&link_id(links.len()));
            buf.push_str("\" w:history=\"1\"><w:r><w:rPr><w:rStyle w:val=\"Hyperlink\"/></w:rPr><w:t>原文链接</w:t></w:r></w:hyperlink>");
            links.push(&a.url);
        }
        buf.push_str("</w:p>");
    }
    for line in display_lines(a) {
        paragraph(buf, style::BODY, false, &line);
    }
}

fn open_paragraph(buf: &mut String, style: &str, page_break_before: bool) {
    buf.push_str("<w:p><w:pPr><w:pStyle w:val=\"");
    buf.push_str(style);
    buf.push_str("\"/>");
    if page_break_before {
        buf.push_str("<w:pageBreakBefore/>");
    }
    buf.push_str("</w:pPr>");
}

fn paragraph(buf: &mut String, style: &str, page_break_before: bool, text: &str) {
    open_paragraph(buf, style, page_break_before);
    text_run(buf, text.trim());
    buf.push_str("</w:p>");
}

/// One run of text; line breaks inside become spaces.
fn text_run(buf: &mut String, text: &str) {
    buf.push_str("<w:r><w:t xml:space=\"preserve\">");
    let flat;
    let text = if text.contains(['\n', '\r']) {
        flat = text.replace(['\n', '\r'], " ");
        &flat
    } else {
        text
    };
    push_xml_escaped(buf, text);
    buf.push_str("</w:t></w:r>");
}

fn core_xml(title: &str) -> String {
    let mut s = String::from(XML_DECL);
    s.push_str(concat!(
        "<cp:coreProperties ",
        "xmlns:cp=\"http://schemas.openxmlformats.org/package/2006/metadata/core-properties\" ",
        "xmlns:dc=\"http://purl.org/dc/elements/1.1/\" ",
        "xmlns:dcterms=\"http://purl.org/dc/terms/\" ",
        "xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\">",
        "<dc:title>"
    ));
    push_xml_escaped(&mut s, title);
    s.push_str("</dc:title><dc:creator>jujiao</dc:creator></cp:coreProperties>");
    s
}

fn document_rels(links: &[&str], image_rels: &str) -> String {
    let mut s = String::with_capacity(256 + links.len() * 200);
    s.push_str(XML_DECL);
    s.push_str(concat!(
        "<Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\">",
        "<Relationship Id=\"rId1\" Type=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles\" Target=\"styles.xml\"/>"
    ));
    for (n, url) in links.iter().enumerate() {
        s.push_str("<Relationship Id=\"");
        s.push_str(&link_id(n));
        s.push_str("\" Type=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships/hyperlink\" Target=\"");
        // Word rejects a package whose external target has a raw space or quote.
        let mut encoded = String::with_capacity(url.len());
        for c in url.chars() {
            match c {
                ' ' => encoded.push_str("%20"),
                '"' => encoded.push_str("%22"),
                '<' => encoded.push_str("%3C"),
                '>' => encoded.push_str("%3E"),
                c => encoded.push(c),
            }
        }
        push_xml_escaped(&mut s, &encoded);
        s.push_str("\" TargetMode=\"External\"/>");
    }
    s.push_str(image_rels);
    s.push_str("</Relationships>");
    s
}

fn fonts(fonts: (&str, &str)) -> String {
    let (latin, east) = fonts;
    format!(
        "<w:rFonts w:ascii=\"{latin}\" w:hAnsi=\"{latin}\" w:eastAsia=\"{east}\" w:cs=\"{latin}\"/>"
    )
}

fn paragraph_style(id: &str, name: &str, ppr: &str, rpr: &str) -> String {
    format!(
        "<w:style w:type=\"paragraph\" w:styleId=\"{id}\"><w:name w:val=\"{name}\"/>\
         <w:basedOn w:val=\"Normal\"/><w:next w:val=\"{next}\"/><w:qFormat/>\
         <w:pPr>{ppr}</w:pPr><w:rPr>{rpr}</w:rPr></w:style>",
        next = style::BODY
    )
}

fn styles_xml() -> String {
    let mut s = String::from(XML_DECL);
    s.push_str(&format!("<w:styles xmlns:w=\"{W_NS}\">"));
    s.push_str(&format!(
        "<w:docDefaults><w:rPrDefault><w:rPr>{}<w:sz w:val=\"24\"/><w:szCs w:val=\"24\"/>\
         <w:lang w:val=\"en-US\" w:eastAsia=\"zh-CN\" w:bidi=\"ar-SA\"/></w:rPr></w:rPrDefault>\
         <w:pPrDefault><w:pPr><w:spacing w:after=\"0\" w:line=\"360\" w:lineRule=\"auto\"/>\
         </w:pPr></w:pPrDefault></w:docDefaults>",
        fonts(BODY_FONTS)
    ));
    s.push_str(
        "<w:style w:type=\"paragraph\" w:default=\"1\" w:styleId=\"Normal\">\
         <w:name w:val=\"Normal\"/><w:qFormat/><w:pPr><w:jc w:val=\"both\"/></w:pPr></w:style>",
    );
    s.push_str(&paragraph_style(
        style::TITLE,
        "Title",
        "<w:spacing w:before=\"240\" w:after=\"360\"/><w:jc w:val=\"center\"/>",
        &format!(
            "{}<w:b/><w:sz w:val=\"36\"/><w:szCs w:val=\"36\"/>",
            fonts(HEADING_FONTS)
        ),
    ));
    s.push_str(&paragraph_style(
        style::HEADING1,
        "heading 1",
        "<w:keepNext/><w:spacing w:before=\"360\" w:after=\"240\"/><w:outlineLvl w:val=\"0\"/>",
        &format!(
            "{}<w:sz w:val=\"32\"/><w:szCs w:val=\"32\"/>",
            fonts(HEADING_FONTS)
        ),
    ));
    s.push_str(&paragraph_style(
        style::HEADING2,
        "heading 2",
        "<w:keepNext/><w:spacing w:before=\"300\" w:after=\"120\"/><w:outlineLvl w:val=\"1\"/>",
        &format!(
            "{}<w:sz w:val=\"28\"/><w:szCs w:val=\"28\"/>",
            fonts(HEADING_FONTS)
        ),
    ));
    s.push_str(&paragraph_style(
        style::META,
        "Briefing Meta",
        "<w:keepNext/><w:spacing w:after=\"120\"/>",
        &format!(
            "{}<w:color w:val=\"595959\"/><w:sz w:val=\"21\"/><w:szCs w:val=\"21\"/>",
            fonts(META_FONTS)
        ),
    ));
    s.push_str(&paragraph_style(
        style::BODY,
        "Body Text",
        "<w:ind w:firstLineChars=\"200\" w:firstLine=\"480\"/>",
        &fonts(BODY_FONTS),
    ));
    s.push_str(
        "<w:style w:type=\"character\" w:styleId=\"Hyperlink\"><w:name w:val=\"Hyperlink\"/>\
         <w:rPr><w:color w:val=\"0563C1\"/><w:u w:val=\"single\"/></w:rPr></w:style>",
    );
    s.push_str("</w:styles>");
    s
}
