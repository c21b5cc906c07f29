//! Refusing private addresses.
//!
//! With `allow_private` off, the fetcher must never talk to loopback, private,
//! link-local or otherwise internal addresses, whether a source URL names them
//! directly, a hostname resolves to them, or a redirect points there. IP literals
//! are checked before each hop ([`check_literal`]); hostnames are checked by
//! [`GuardedResolver`], the client's DNS resolver, which drops internal addresses
//! so the connection only ever goes to an address that passed the check.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use url::{Host, Url};

/// True for addresses a crawler of public sites has no business reaching.
pub fn is_internal(addr: IpAddr) -> bool {
    match addr {
        IpAddr::V4(v4) => is_internal_v4(v4),
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return is_internal_v4(v4);
            }
            let first = v6.segments()[0];
            v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                || (first & 0xfe00) == 0xfc00 // unique local fc00::/7
                || (first & 0xffc0) == 0xfe80 // link-local fe80::/10
        }
    }
}

fn is_internal_v4(v4: Ipv4Addr) -> bool {
    let [a, b, ..] = v4.octets();
    v4.is_loopback()
        || v4.is_private()
        || v4.is_link_local()
        || v4.is_unspecified()
        || v4.is_broadcast()
        || v4.is_multicast()
        || a == 0 // "this network"
        || (a == 100 && (64..128).contains(&b)) // shared address space 100.64/10
}

/// The internal address `url` names literally, if any.
pub fn check_literal(url: &Url) -> Option<IpAddr> {
    let addr = match url.host()? {
        Host::Ipv4(v4) => IpAddr::V4(v4),
        Host::Ipv6(v6) => IpAddr::V6(v6),
        Host::Domain(_) => return None,
    };
    is_internal(addr).then_some(addr)
}

/// Resolution refused because every address of the host is internal.
#[derive(Debug, thiserror::Error)]
#[error("{host} resolves only to internal addresses such as {addr}")]
pub struct InternalAddressError {
    /// The host name looked up.
    pub host: String,
    /// One of its internal addresses.
    pub addr: IpAddr,
}

/// DNS resolver that keeps only public addresses.
#[derive(Debug, Clone, Copy, Default)]
pub struct GuardedResolver;

impl Resolve for GuardedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let host = name.as_str().to_owned();
        Box::pin(async move {
            let found: Vec<SocketAddr> =
                tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            let public: Vec<SocketAddr> = found
                .iter()
                .copied()
                .filter(|a| !is_internal(a.ip()))
                .collect();
            match (public.is_empty(), found.first()) {
                (true, Some(first)) => Err(Box::new(InternalAddressError {
                    host,
                    addr: first.ip(),
                })
                    as Box<dyn std::error::Error + Send + Sync>),
                _ => Ok(Box::new(public.into_iter()) as Addrs),
            }
        })
    }
}

/// Find an [`InternalAddressError`] in an error's source chain.
pub fn find_internal<'a>(
    error: &'a (dyn std::error::Error + 'static),
) -> Option<&'a InternalAddressError> {
    let mut current: Option<&'a (dyn std::error::Error + 'static)> = Some(error);
    while let Some(e) = current {
        if let Some(found) = e.downcast_ref::<InternalAddressError>() {
            return Some(found);
        }
        current = e.source();
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn internal(s: &str) -> bool {
        is_internal(s.parse().expect("ip"))
    }

    #[test]
    fn internal_ranges_are_recognised() {
        for a in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "172.31.255.255",
            "192.168.1.1",
            "169.254.169.254",
            "0.0.0.0",
            "100.64.0.1",
            "255.255.255.255",
            "::1",
            "::",
            "fe80::1",
            "fd00::1",
            "::ffff:127.0.0.1",
            "::ffff:10.0.0.1",
        ] {
            assert!(internal(a), "{a} should be internal");
        }
        for a in [
            "8.8.8.8",
            "172.32.0.1",
            "100.128.0.1",
            "202.96.128.86",
            "2400:3200::1",
            "::ffff:8.8.8.8",
        ] {
            assert!(!internal(a), "{a} should be public");
        }
    }

    #[test]
    fn literals_are_checked_but_names_are_left_to_the_resolver() {
        let check = |s: &str| check_literal(&Url::parse(s).expect("url"));
        assert!(check("http://127.0.0.1:8080/").is_some());
        assert!(check("http://[::1]/").is_some());
        assert!(check("http://8.8.8.8/").is_none());
        assert!(check("http://localhost/").is_none());
    }

    #[tokio::test]
    async fn resolver_refuses_localhost() {
        let name: Name = "localhost".parse().expect("name");
        let Err(error) = GuardedResolver.resolve(name).await else {
            panic!("localhost must be refused");
        };
        let found = find_internal(error.as_ref()).expect("typed error");
        assert!(found.addr.is_loopback());
    }
}
