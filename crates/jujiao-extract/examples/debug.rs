//! Debug aid: prints the decoded page's body candidates for one page path.
fn main() {
    let path = std::env::args().nth(1).expect("path");
    let bytes = std::fs::read(&path).expect("read");
    let x = jujiao_extract::extract(&bytes, None, None, None).expect("extract");
    println!(
        "{}",
        serde_json::to_string_pretty(
            &serde_json::from_str::<serde_json::Value>(&x.to_json()).expect("json")
        )
        .expect("pretty")
    );
}
