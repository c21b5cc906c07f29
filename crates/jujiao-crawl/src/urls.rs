//! URL normalisation: one article, one URL, whatever way a list page spells the link.

use url::Url;

/// Query parameters that only track where a click came from.
const TRACKING_PREFIXES: [&str; 2] = ["utm_", "spm"];

/// Normalises an article URL: no fragment, no tracking parameters, no empty query.
/// Scheme and host are lower-cased and default ports dropped by the URL parser itself.
/// Idempotent: `normalize(normalize(u)) == normalize(u)`.
pub fn normalize(url: &Url) -> Url {
    let mut u = url.clone();
    u.set_fragment(None);
    if u.query().is_some() {
        let kept: Vec<(String, String)> = u
            .query_pairs()
            .filter(|(k, _)| !TRACKING_PREFIXES.iter().any(|p| k.starts_with(p)))
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
        if kept.is_empty() {
            u.set_query(None);
        } else if kept.len() != u.query_pairs().count() {
            u.query_pairs_mut().clear().extend_pairs(kept);
        }
    }
    u
}

#[cfg(test)]
mod tests {
    use super::*;

    fn n(s: &str) -> String {
        normalize(&Url::parse(s).unwrap()).to_string()
    }

    #[test]
    fn fragments_tracking_and_default_ports_go() {
        assert_eq!(
            n("HTTP://Example.GOV.cn:80/a/t1.html#top"),
            "http://example.gov.cn/a/t1.html"
        );
        assert_eq!(n("http://a.cn/x.html?utm_source=wx"), "http://a.cn/x.html");
        assert_eq!(
            n("http://a.cn/x.html?id=3&utm_medium=m"),
            "http://a.cn/x.html?id=3"
        );
        assert_eq!(n("http://a.cn/x.html?"), "http://a.cn/x.html");
        assert_eq!(
            n("http://a.cn/x.html?id=3&p=2"),
            "http://a.cn/x.html?id=3&p=2"
        );
    }

    #[test]
    fn normalize_is_idempotent_on_awkward_urls() {
        for s in [
            "http://a.cn/%E4%B8%AD.html?q=%E4%B8%AD#x",
            "https://a.cn:443/./b/../c.html?utm_x=1&a=",
            "http://a.cn/x?a=1&a=2&spm=3",
        ] {
            let once = normalize(&Url::parse(s).unwrap());
            assert_eq!(normalize(&once), once, "{s}");
        }
    }
}
