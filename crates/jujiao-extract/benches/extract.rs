//! Decode + extract throughput on synthetic pages modelled on government article pages.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use std::hint::black_box;

fn page(paragraphs: usize) -> String {
    let mut s = String::from(
        "<html><head><meta charset=\"utf-8\"><title>区委常委会召开第182次会议_新闻_海淀区政府网</title>\
         <meta name=\"PubDate\" content=\"2020-06-10 09:30\"></head><body>\
         <div class=\"nav\"><ul>",
    );
    for i in 0..40 {
        s.push_str(&format!("<li><a href=\"/col{i}/\">栏目{i}</a></li>"));
    }
    s.push_str(
        "</ul></div><div class=\"main\"><h1>区委常委会召开第182次会议</h1>\
        <div class=\"info\">发布时间：2020-06-10 09:30 来源：海淀区融媒体中心</div>\
        <div class=\"TRS_Editor\">",
    );
    for i in 0..paragraphs {
        s.push_str(&format!(
            "<p style=\"text-indent:2em\">　　会议指出，第{i}项工作要坚持以人民为中心的发展思想，\
             统筹推进疫情防控和经济社会发展，确保各项任务落到实处，切实提高群众的获得感、幸福感、安全感。</p>"
        ));
    }
    s.push_str("</div><div class=\"editor\">责任编辑：王小明</div></div><div class=\"footer\">");
    for i in 0..30 {
        s.push_str(&format!("<a href=\"/link{i}.html\">友情链接网站{i}</a> | "));
    }
    s.push_str("</div></body></html>");
    s
}

fn bench(c: &mut Criterion) {
    let mut group = c.benchmark_group("extract");
    for (name, paras) in [("small_8KB", 20), ("large_100KB", 300)] {
        let bytes = page(paras).into_bytes();
        let gbk = encoding_rs::GB18030
            .encode(&String::from_utf8_lossy(&bytes).replace("utf-8", "gb2312"))
            .0
            .into_owned();
        group.throughput(Throughput::Bytes(bytes.len() as u64));
        group.bench_function(format!("utf8_{name}"), |b| {
            b.iter(|| jujiao_extract::extract(black_box(&bytes), None, None, None));
        });
        group.bench_function(format!("gbk_{name}"), |b| {
            b.iter(|| jujiao_extract::extract(black_box(&gbk), None, None, None));
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
