//! Attachment text extraction throughput (MB/s of file bytes) on generated PDF, DOCX,
//! XLSX and binary Word 97 (`.doc`/`.wps`) files:
//! `cargo bench -p jujiao-media --bench text`.

#[path = "../tests/common/word97.rs"]
mod word97;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use lopdf::content::{Content, Operation};
use lopdf::{Document, Object, Stream, dictionary};
use std::hint::black_box;
use std::io::Write;

const LINE: &str = "The district government held a meeting on waste sorting and budget review";

/// A PDF of `pages` pages, 40 lines of text each (Courier, compressed streams).
fn pdf(pages: usize) -> Vec<u8> {
    let mut doc = Document::with_version("1.5");
    let pages_id = doc.new_object_id();
    let font_id = doc.add_object(dictionary! {
        "Type" => "Font", "Subtype" => "Type1", "BaseFont" => "Courier",
    });
    let resources_id = doc.add_object(dictionary! { "Font" => dictionary! { "F1" => font_id } });
    let mut kids: Vec<Object> = Vec::new();
    for p in 0..pages {
        let mut ops = vec![
            Operation::new("BT", vec![]),
            Operation::new("Tf", vec!["F1".into(), 9.into()]),
            Operation::new("Td", vec![40.into(), 800.into()]),
        ];
        for l in 0..40 {
            ops.push(Operation::new(
                "Tj",
                vec![Object::string_literal(format!("{p}.{l} {LINE}"))],
            ));
            ops.push(Operation::new("Td", vec![0.into(), (-18).into()]));
        }
        ops.push(Operation::new("ET", vec![]));
        let mut stream = Stream::new(
            dictionary! {},
            Content { operations: ops }.encode().expect("encodes"),
        );
        stream.compress().expect("compresses");
        let content_id = doc.add_object(stream);
        kids.push(
            doc.add_object(dictionary! {
                "Type" => "Page", "Parent" => pages_id, "Contents" => content_id,
            })
            .into(),
        );
    }
    let count = i64::try_from(kids.len()).expect("few pages");
    doc.objects.insert(
        pages_id,
        Object::Dictionary(dictionary! {
            "Type" => "Pages", "Kids" => kids, "Count" => count, "Resources" => resources_id,
            "MediaBox" => vec![0.into(), 0.into(), 595.into(), 842.into()],
        }),
    );
    let catalog_id = doc.add_object(dictionary! { "Type" => "Catalog", "Pages" => pages_id });
    doc.trailer.set("Root", catalog_id);
    let mut out = Vec::new();
    doc.save_to(&mut out).expect("saves");
    out
}

/// A DOCX of `paragraphs` Chinese paragraphs.
fn docx(paragraphs: usize) -> Vec<u8> {
    let mut body = String::new();
    for i in 0..paragraphs {
        body.push_str(&format!(
            "<w:p><w:r><w:t>第{i}条 各街道、各部门要按照全区统一部署，认真做好垃圾分类宣传和预算审查工作。</w:t></w:r></w:p>"
        ));
    }
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default();
    zip.start_file("word/document.xml", options).expect("zip");
    write!(
        zip,
        "<w:document xmlns:w=\"http://schemas.openxmlformats.org/wordprocessingml/2006/main\"><w:body>{body}</w:body></w:document>"
    )
    .expect("zip");
    zip.finish().expect("zip").into_inner()
}

fn bench(c: &mut Criterion) {
    let mut group = c.benchmark_group("attachment_text");
    let pdf = pdf(50);
    group.throughput(Throughput::Bytes(pdf.len() as u64));
    group.bench_function("pdf_50_pages", |b| {
        b.iter(|| jujiao_media::text::extract("application/pdf", black_box(&pdf)));
    });
    let docx = docx(5_000);
    group.throughput(Throughput::Bytes(docx.len() as u64));
    group.bench_function("docx_5000_paragraphs", |b| {
        b.iter(|| jujiao_media::text::extract(jujiao_media::sniff::DOCX.mime, black_box(&docx)));
    });
    let xlsx = xlsx(5_000);
    group.throughput(Throughput::Bytes(xlsx.len() as u64));
    group.bench_function("xlsx_5000_rows", |b| {
        b.iter(|| jujiao_media::text::extract(jujiao_media::sniff::XLSX.mime, black_box(&xlsx)));
    });
    let paragraph = "各街道、各部门要按照全区统一部署，认真做好垃圾分类宣传和预算审查工作。\r";
    let doc = word97::word97(&paragraph.repeat(5_000), "");
    group.throughput(Throughput::Bytes(doc.len() as u64));
    group.bench_function("doc_5000_paragraphs", |b| {
        b.iter(|| jujiao_media::text::extract("application/msword", black_box(&doc)));
    });
    group.finish();
}

/// An XLSX of `rows` rows of four cells (strings and numbers).
fn xlsx(rows: u32) -> Vec<u8> {
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    for r in 0..rows {
        sheet
            .write_string(r, 0, format!("海淀区第{r}社区"))
            .expect("cell");
        sheet.write_string(r, 1, "垃圾分类宣传周").expect("cell");
        sheet.write_number(r, 2, f64::from(r) * 1.5).expect("cell");
        sheet.write_string(r, 3, "联系人：张三").expect("cell");
    }
    book.save_to_buffer().expect("xlsx")
}

criterion_group!(benches, bench);
criterion_main!(benches);
