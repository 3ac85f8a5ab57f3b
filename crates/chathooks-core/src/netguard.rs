//! Guarding outgoing webhook callbacks against internal addresses (SSRF).
//!
//! An outgoing webhook makes *this server* send an HTTP request to a URL chosen by
//! whoever created the hook. Without a guard that is a way to reach the loopback
//! interface, the private network or a cloud metadata endpoint (169.254.169.254)
//! from inside. Like Mattermost (`AllowedUntrustedInternalConnections`), callbacks
//! to internal addresses are refused unless the host or address is allow-listed.
//!
//! The check is made on the address actually connected to, not on the name:
//! [`GuardedResolver`] is the DNS resolver of the callback client and only hands
//! vetted addresses to the connector, so a name that resolves to `127.0.0.1` (or
//! that changes its answer between a check and the connection: DNS rebinding) is
//! still caught. reqwest does not consult the resolver for IP-literal hosts, so
//! [`check_url`] covers those and must be called before sending; [`guarded_client`]
//! disables redirects (a public URL could redirect inside) and proxies (the resolver
//! would then vet the proxy instead of the target).

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use ipnet::IpNet;
use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use reqwest::{Client, Url};

/// Why a callback was refused.
#[derive(Debug, thiserror::Error)]
pub enum Refused {
    /// The URL's host is an internal IP address that is not allow-listed.
    #[error("callback address {0} is internal; allow it with --allow-internal-callbacks")]
    InternalAddress(IpAddr),
    /// Every address the host name resolved to is internal and not allow-listed.
    #[error(
        "callback host {host} resolves only to internal addresses ({}); allow it with --allow-internal-callbacks",
        join(.addrs)
    )]
    InternalHost { host: String, addrs: Vec<IpAddr> },
    /// The URL scheme is not http or https.
    #[error("callback URL scheme {0:?} is not allowed; only http and https are")]
    Scheme(String),
    /// An https URL, but this build has no TLS backend (the `tls` feature is off).
    #[error("callback URL {0} uses https, but this build of chathooks has no TLS support (enable the `tls` feature)")]
    TlsUnavailable(String),
    /// The URL has no host (e.g. `http:///path` after normalisation, or `data:`).
    #[error("callback URL has no host")]
    NoHost,
    /// The host name could not be resolved.
    #[error("could not resolve callback host {host}: {source}")]
    Lookup {
        host: String,
        #[source]
        source: std::io::Error,
    },
    /// The host name resolved to no address at all.
    #[error("callback host {0} has no addresses")]
    NoAddresses(String),
}

fn join(addrs: &[IpAddr]) -> String {
    addrs.iter().map(ToString::to_string).collect::<Vec<_>>().join(", ")
}

/// An entry of the allow list that is neither an IP address, a CIDR nor a host name.
#[derive(Debug, thiserror::Error)]
#[error(
    "invalid entry {0:?} in the internal-callback allow list: expected a host name, an IP address or a CIDR such as 10.0.0.0/8"
)]
pub struct AllowListError(pub String);

/// Hosts and networks callbacks may reach even though they are internal.
///
/// Parsed from a list separated by whitespace and/or commas (Mattermost's
/// `AllowedUntrustedInternalConnections` format), e.g.
/// `"localhost 127.0.0.1, 10.0.0.0/8 [::1] hooks.internal.example"`.
/// Host names match exactly (case-insensitive, trailing dot ignored); they allow
/// every address the name resolves to. Addresses and CIDRs allow those addresses
/// whatever name led to them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AllowList {
    hosts: Vec<String>,
    nets: Vec<IpNet>,
}

impl AllowList {
    /// An allow list that allows nothing internal.
    pub fn empty() -> Self {
        Self::default()
    }

    /// Parse a whitespace/comma separated list. An invalid entry is an error rather
    /// than silently ignored: a typo here would otherwise go unnoticed until a
    /// callback fails.
    pub fn parse(spec: &str) -> Result<Self, AllowListError> {
        let mut list = Self::default();
        for entry in spec
            .split(|c: char| c == ',' || c.is_whitespace())
            .filter(|e| !e.is_empty())
        {
            let unbracketed = entry
                .strip_prefix('[')
                .and_then(|e| e.strip_suffix(']'))
                .unwrap_or(entry);
            if let Ok(net) = IpNet::from_str(unbracketed) {
                list.nets.push(net.trunc());
            } else if let Ok(ip) = IpAddr::from_str(unbracketed) {
                list.nets.push(IpNet::from(ip));
            } else if is_host_name(entry) {
                list.hosts.push(normalise_host(entry));
            } else {
                return Err(AllowListError(entry.to_owned()));
            }
        }
        Ok(list)
    }

    /// Whether the list is empty (nothing internal allowed).
    pub fn is_empty(&self) -> bool {
        self.hosts.is_empty() && self.nets.is_empty()
    }

    /// Whether the host name is listed.
    pub fn allows_host(&self, host: &str) -> bool {
        let host = normalise_host(host);
        self.hosts.contains(&host)
    }

    /// Whether the address is listed, directly or through a CIDR. An IPv4-mapped
    /// IPv6 address (`::ffff:10.0.0.1`) matches IPv4 entries too.
    pub fn allows_ip(&self, ip: IpAddr) -> bool {
        let canonical = canonical(ip);
        self.nets
            .iter()
            .any(|net| net.contains(&ip) || net.contains(&canonical))
    }
}

impl FromStr for AllowList {
    type Err = AllowListError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl fmt::Display for AllowList {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let entries: Vec<String> = self
            .hosts
            .iter()
            .cloned()
            .chain(self.nets.iter().map(ToString::to_string))
            .collect();
        f.write_str(&entries.join(" "))
    }
}

fn is_host_name(s: &str) -> bool {
    let s = s.strip_suffix('.').unwrap_or(s);
    !s.is_empty()
        && s.len() <= 253
        && s.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && label
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        })
}

fn normalise_host(host: &str) -> String {
    host.strip_suffix('.').unwrap_or(host).to_ascii_lowercase()
}

/// An IPv4-mapped IPv6 address as IPv4; anything else unchanged.
fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map(IpAddr::V4).unwrap_or(IpAddr::V6(v6)),
        v4 => v4,
    }
}

/// IPv4 ranges that are not reachable public unicast (RFC 6890 special-purpose
/// registry, plus multicast and reserved space): `(network, prefix length)`.
const INTERNAL_V4: &[(u32, u32)] = &[
    (0x0000_0000, 8),  // 0.0.0.0/8 "this network" (0.0.0.0 reaches localhost on Linux)
    (0x0a00_0000, 8),  // 10.0.0.0/8 private
    (0x6440_0000, 10), // 100.64.0.0/10 carrier-grade NAT
    (0x7f00_0000, 8),  // 127.0.0.0/8 loopback
    (0xa9fe_0000, 16), // 169.254.0.0/16 link-local (cloud metadata lives here)
    (0xac10_0000, 12), // 172.16.0.0/12 private
    (0xc000_0000, 24), // 192.0.0.0/24 IETF protocol assignments
    (0xc000_0200, 24), // 192.0.2.0/24 documentation
    (0xc058_6300, 24), // 192.88.99.0/24 6to4 relay anycast
    (0xc0a8_0000, 16), // 192.168.0.0/16 private
    (0xc612_0000, 15), // 198.18.0.0/15 benchmarking
    (0xc633_6400, 24), // 198.51.100.0/24 documentation
    (0xcb00_7100, 24), // 203.0.113.0/24 documentation
    (0xe000_0000, 4),  // 224.0.0.0/4 multicast
    (0xf000_0000, 4),  // 240.0.0.0/4 reserved, includes 255.255.255.255 broadcast
];

/// IPv6 ranges that are internal in themselves: `(network, prefix length)`.
/// Ranges that wrap an IPv4 address are classified by it ([`embedded_v4`]).
const INTERNAL_V6: &[(u128, u32)] = &[
    (0, 96),                                         // ::/96 unspecified, loopback, IPv4-compatible (deprecated)
    (0x0064_ff9b_0001_0000_0000_0000_0000_0000, 48), // 64:ff9b:1::/48 local-use NAT64
    (0x0100_0000_0000_0000_0000_0000_0000_0000, 64), // 100::/64 discard-only
    (0x2001_0db8_0000_0000_0000_0000_0000_0000, 32), // 2001:db8::/32 documentation
    (0xfc00_0000_0000_0000_0000_0000_0000_0000, 7),  // fc00::/7 unique local
    (0xfe80_0000_0000_0000_0000_0000_0000_0000, 10), // fe80::/10 link-local
    (0xfec0_0000_0000_0000_0000_0000_0000_0000, 10), // fec0::/10 site-local (deprecated)
    (0xff00_0000_0000_0000_0000_0000_0000_0000, 8),  // ff00::/8 multicast
];

/// Whether `ip` is an internal address a callback must not reach unless allowed:
/// unspecified, loopback, private (10/8, 172.16/12, 192.168/16), carrier-grade NAT
/// (100.64/10), link-local (169.254/16, fe80::/10), unique local (fc00::/7),
/// multicast, broadcast and reserved space, documentation and benchmarking ranges,
/// and IPv6 addresses that carry an internal IPv4 address (see [`embedded_v4`]).
pub fn is_internal(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_internal_v4(v4),
        IpAddr::V6(v6) => is_internal_v6(v6),
    }
}

fn is_internal_v4(ip: Ipv4Addr) -> bool {
    let bits = u32::from(ip);
    INTERNAL_V4.iter().any(|&(net, len)| bits & mask32(len) == net)
}

fn is_internal_v6(ip: Ipv6Addr) -> bool {
    if let Some(v4) = embedded_v4(ip) {
        return is_internal_v4(v4);
    }
    let bits = u128::from(ip);
    INTERNAL_V6.iter().any(|&(net, len)| bits & mask128(len) == net)
}

/// The IPv4 address an IPv6 address is a wrapper for: packets sent to it end
/// up at that IPv4 address (through the host's own stack, a translator or a
/// relay), so it is as internal as that address.
///
/// - IPv4-mapped `::ffff:0:0/96` (the low 32 bits; a dual-stack socket
///   connects to the IPv4 address itself),
/// - IPv4-translated `::ffff:0:0:0/96` (RFC 2765 SIIT; the low 32 bits),
/// - NAT64 `64:ff9b::/96` (RFC 6052; the low 32 bits),
/// - 6to4 `2002::/16` (RFC 3056; bits 16..48),
/// - Teredo `2001::/32` (RFC 4380; the client's address, inverted, in the low
///   32 bits: a relay sends the packet there over UDP).
///
/// IPv4-compatible `::/96` (deprecated by RFC 4291) is not unwrapped: the
/// whole range is internal ([`INTERNAL_V6`]) whatever it carries, as no public
/// host is reached through it and `::`/`::1` live there.
fn embedded_v4(ip: Ipv6Addr) -> Option<Ipv4Addr> {
    let bits = u128::from(ip);
    let low32 = Ipv4Addr::from((bits & 0xffff_ffff) as u32);
    const MAPPED: u128 = 0x0000_0000_0000_0000_0000_ffff_0000_0000;
    const TRANSLATED: u128 = 0x0000_0000_0000_0000_ffff_0000_0000_0000;
    const NAT64: u128 = 0x0064_ff9b_0000_0000_0000_0000_0000_0000;
    const SIX_TO_FOUR: u128 = 0x2002_0000_0000_0000_0000_0000_0000_0000;
    const TEREDO: u128 = 0x2001_0000_0000_0000_0000_0000_0000_0000;
    let prefix96 = bits & mask128(96);
    if prefix96 == MAPPED || prefix96 == TRANSLATED || prefix96 == NAT64 {
        return Some(low32);
    }
    if bits & mask128(16) == SIX_TO_FOUR {
        return Some(Ipv4Addr::from(((bits >> 80) & 0xffff_ffff) as u32));
    }
    if bits & mask128(32) == TEREDO {
        return Some(Ipv4Addr::from(!u32::from(low32)));
    }
    None
}

fn mask32(len: u32) -> u32 {
    u32::MAX.checked_shl(32 - len).unwrap_or(0)
}

fn mask128(len: u32) -> u128 {
    u128::MAX.checked_shl(128 - len).unwrap_or(0)
}

/// Check a callback URL before sending to it: the scheme must be http or https
/// (https only when built with the `tls` feature), and an IP-literal host must
/// not be internal unless allowed. Host names pass
/// here; their addresses are checked by [`GuardedResolver`] at connection time.
pub fn check_url(url: &Url, allow: &AllowList) -> Result<(), Refused> {
    match url.scheme() {
        "http" => {}
        "https" if cfg!(feature = "tls") => {}
        "https" => return Err(Refused::TlsUnavailable(url.to_string())),
        other => return Err(Refused::Scheme(other.to_owned())),
    }
    let host = url.host_str().ok_or(Refused::NoHost)?;
    // The URL parser has already normalised IPv4 spellings (`127.1`, `2130706433`)
    // to dotted quads and put IPv6 literals in brackets; anything else is a name.
    let bare = host.strip_prefix('[').and_then(|h| h.strip_suffix(']')).unwrap_or(host);
    let Ok(ip) = bare.parse::<IpAddr>() else {
        return Ok(());
    };
    if is_internal(ip) && !allow.allows_ip(ip) {
        return Err(Refused::InternalAddress(ip));
    }
    Ok(())
}

/// Resolve `host` and keep only the addresses a callback may connect to.
///
/// If the host name itself is allow-listed every address is kept. Otherwise
/// internal addresses that are not allow-listed are dropped; if nothing is left
/// the host is refused. (A name with both public and internal addresses is thus
/// reachable, but only through its public ones.)
pub async fn resolve_checked(host: &str, allow: &AllowList) -> Result<Vec<SocketAddr>, Refused> {
    let resolved: Vec<SocketAddr> = tokio::net::lookup_host((host, 0))
        .await
        .map_err(|source| Refused::Lookup {
            host: host.to_owned(),
            source,
        })?
        .collect();
    if resolved.is_empty() {
        return Err(Refused::NoAddresses(host.to_owned()));
    }
    if allow.allows_host(host) {
        return Ok(resolved);
    }
    let (permitted, refused): (Vec<SocketAddr>, Vec<SocketAddr>) = resolved
        .into_iter()
        .partition(|a| !is_internal(a.ip()) || allow.allows_ip(a.ip()));
    if permitted.is_empty() {
        return Err(Refused::InternalHost {
            host: host.to_owned(),
            addrs: refused.iter().map(SocketAddr::ip).collect(),
        });
    }
    Ok(permitted)
}

/// A reqwest DNS resolver that only returns addresses callbacks may reach
/// (see [`resolve_checked`]). Refusals surface as request errors whose source
/// chain contains a [`Refused`]; find it with [`refusal`].
#[derive(Debug, Clone, Default)]
pub struct GuardedResolver {
    pub allow: Arc<AllowList>,
}

impl Resolve for GuardedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let allow = Arc::clone(&self.allow);
        let host = name.as_str().to_owned();
        Box::pin(async move {
            let addrs = resolve_checked(&host, &allow).await?;
            let addrs: Addrs = Box::new(addrs.into_iter());
            Ok(addrs)
        })
    }
}

/// The HTTP client for callbacks: guarded resolver, no redirects, no proxy,
/// the given overall timeout per request. Call [`check_url`] on each URL first.
///
/// Fails only if the TLS backend cannot be initialised.
pub fn guarded_client(allow: Arc<AllowList>, timeout: Duration) -> Result<Client, reqwest::Error> {
    Client::builder()
        .dns_resolver(Arc::new(GuardedResolver { allow }))
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy()
        .timeout(timeout)
        .build()
}

/// The [`Refused`] inside a request error, if the guard is why it failed.
pub fn refusal(err: &reqwest::Error) -> Option<&Refused> {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(err);
    while let Some(e) = source {
        if let Some(refused) = e.downcast_ref::<Refused>() {
            return Some(refused);
        }
        source = e.source();
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn internal_addresses() {
        for s in [
            "0.0.0.0",
            "0.1.2.3",
            "10.1.2.3",
            "100.64.0.1",
            "100.127.255.255",
            "127.0.0.1",
            "127.255.255.254",
            "169.254.169.254",
            "172.16.0.1",
            "172.31.255.255",
            "192.0.2.1",
            "192.168.1.1",
            "198.18.0.1",
            "224.0.0.1",
            "239.255.255.250",
            "255.255.255.255",
            "::",
            "::1",
            "::127.0.0.1",
            "::ffff:127.0.0.1",
            "::ffff:10.0.0.1",
            "::ffff:169.254.169.254",
            "64:ff9b::7f00:1",
            "2002:7f00:1::1",
            "fc00::1",
            "fd12:3456::1",
            "fe80::1",
            "febf::1",
            "ff02::1",
            "2001:db8::1",
        ] {
            assert!(is_internal(ip(s)), "{s} should be internal");
        }
    }

    #[test]
    fn public_addresses() {
        for s in [
            "1.1.1.1",
            "8.8.8.8",
            "100.63.255.255",
            "100.128.0.0",
            "172.15.255.255",
            "172.32.0.0",
            "169.253.1.1",
            "192.169.0.1",
            "223.255.255.255",
            "2606:4700::1111",
            "2a00:1450:4001::1",
            "::ffff:8.8.8.8",
            "64:ff9b::808:808",
            "2002:808:808::1",
        ] {
            assert!(!is_internal(ip(s)), "{s} should be public");
        }
    }

    /// Every IPv6 form that wraps an IPv4 address, around `v4`.
    fn wrappers(v4: Ipv4Addr) -> [(&'static str, Ipv6Addr); 5] {
        let bits = u128::from(u32::from(v4));
        [
            ("mapped ::ffff:0:0/96", Ipv6Addr::from(0xffff_0000_0000 | bits)),
            ("translated ::ffff:0:0:0/96", Ipv6Addr::from((0xffff_u128 << 48) | bits)),
            ("NAT64 64:ff9b::/96", Ipv6Addr::from((0x0064_ff9b_u128 << 96) | bits)),
            (
                "6to4 2002::/16",
                Ipv6Addr::from((0x2002_u128 << 112) | (bits << 80) | 1),
            ),
            (
                "Teredo 2001::/32",
                Ipv6Addr::from((0x2001_0000_u128 << 96) | (0x4136_e378_u128 << 64) | u128::from(!u32::from(v4))),
            ),
        ]
    }

    #[test]
    fn ipv6_wrappers_are_classified_by_the_ipv4_they_carry() {
        // One address from each internal IPv4 range, and its edges.
        let mut internal = Vec::new();
        for &(net, len) in INTERNAL_V4 {
            internal.push(Ipv4Addr::from(net));
            internal.push(Ipv4Addr::from(net | !mask32(len)));
        }
        for v4 in internal {
            assert!(is_internal_v4(v4), "{v4}");
            for (form, v6) in wrappers(v4) {
                assert!(is_internal(IpAddr::V6(v6)), "{v6} ({form} of {v4}) should be internal");
            }
        }
        for v4 in [
            Ipv4Addr::new(8, 8, 8, 8),
            Ipv4Addr::new(93, 184, 216, 34),
            Ipv4Addr::new(1, 1, 1, 1),
        ] {
            for (form, v6) in wrappers(v4) {
                assert!(!is_internal(IpAddr::V6(v6)), "{v6} ({form} of {v4}) should be public");
            }
        }
        // The spellings a URL or a resolver gives.
        for s in [
            "::ffff:7f00:1",
            "::ffff:0:7f00:1",
            "::ffff:0:a00:1",
            "::ffff:0:169.254.169.254",
            "2001:0:4136:e378::80ff:fffe",
        ] {
            assert!(is_internal(ip(s)), "{s} should be internal");
        }
        // IPv4-compatible `::/96` is internal whatever it carries.
        assert!(is_internal(ip("::8.8.8.8")));
        let url = Url::parse("http://[::ffff:0:7f00:1]:8065/hook").unwrap();
        assert!(matches!(
            check_url(&url, &AllowList::empty()),
            Err(Refused::InternalAddress(_))
        ));
    }

    #[test]
    fn allow_list_parsing() {
        let list =
            AllowList::parse(" localhost,127.0.0.1  10.0.0.0/8,[::1] Hooks.Example.COM. 192.168.1.7/16").unwrap();
        assert!(list.allows_host("LOCALHOST"));
        assert!(list.allows_host("hooks.example.com"));
        assert!(list.allows_host("hooks.example.com."));
        assert!(!list.allows_host("example.com"));
        assert!(list.allows_ip(ip("127.0.0.1")));
        assert!(!list.allows_ip(ip("127.0.0.2")));
        assert!(list.allows_ip(ip("10.200.0.1")));
        assert!(list.allows_ip(ip("::ffff:10.200.0.1")));
        assert!(list.allows_ip(ip("::1")));
        assert!(list.allows_ip(ip("192.168.200.1")), "CIDR host bits are truncated");
        assert!(!list.allows_ip(ip("11.0.0.1")));
        assert_eq!(
            list.to_string(),
            "localhost hooks.example.com 127.0.0.1/32 10.0.0.0/8 ::1/128 192.168.0.0/16"
        );

        assert!(AllowList::parse("").unwrap().is_empty());
        assert!(AllowList::parse(" , ").unwrap().is_empty());
        let err = AllowList::parse("ok.example http://bad").unwrap_err();
        assert!(err.to_string().contains("\"http://bad\""), "{err}");
        assert!(AllowList::parse("10.0.0.0/33").is_err());
        assert!("a..b".parse::<AllowList>().is_err());
    }

    #[test]
    fn urls_with_internal_ip_literals_are_refused() {
        let none = AllowList::empty();
        for u in [
            "http://127.0.0.1/hook",
            "http://127.1/",
            "http://2130706433/",
            "http://[::1]:8443/",
            "http://[::ffff:127.0.0.1]/",
            "http://169.254.169.254/latest/meta-data",
            "http://0.0.0.0:8080/",
        ] {
            let url = Url::parse(u).unwrap();
            let err = check_url(&url, &none).unwrap_err();
            assert!(matches!(err, Refused::InternalAddress(_)), "{u}: {err}");
        }
        let err = check_url(&Url::parse("http://127.0.0.1/").unwrap(), &none).unwrap_err();
        assert_eq!(
            err.to_string(),
            "callback address 127.0.0.1 is internal; allow it with --allow-internal-callbacks"
        );

        for u in ["http://8.8.8.8/", "http://example.com/x", "http://localhost:1/"] {
            assert!(check_url(&Url::parse(u).unwrap(), &none).is_ok(), "{u}");
        }
        let https = check_url(&Url::parse("https://example.com/x").unwrap(), &none);
        if cfg!(feature = "tls") {
            assert!(https.is_ok());
        } else {
            assert!(matches!(https, Err(Refused::TlsUnavailable(_))), "{https:?}");
        }
        for u in ["ftp://example.com/", "file:///etc/passwd", "gopher://x/"] {
            let err = check_url(&Url::parse(u).unwrap(), &none).unwrap_err();
            assert!(matches!(err, Refused::Scheme(_)), "{u}: {err}");
        }

        let allow = AllowList::parse("127.0.0.0/8").unwrap();
        assert!(check_url(&Url::parse("http://127.0.0.1:9/").unwrap(), &allow).is_ok());
        assert!(check_url(&Url::parse("http://[::ffff:127.0.0.1]/").unwrap(), &allow).is_ok());
        assert!(check_url(&Url::parse("http://[::1]/").unwrap(), &allow).is_err());
    }

    #[tokio::test]
    async fn resolver_checks_the_resolved_address() {
        // `localhost` resolves (from /etc/hosts) to loopback only.
        let err = resolve_checked("localhost", &AllowList::empty()).await.unwrap_err();
        assert!(matches!(err, Refused::InternalHost { .. }), "{err}");
        assert!(
            err.to_string()
                .starts_with("callback host localhost resolves only to internal addresses")
        );

        let by_name = AllowList::parse("localhost").unwrap();
        let addrs = resolve_checked("localhost", &by_name).await.unwrap();
        assert!(addrs.iter().all(|a| a.ip().is_loopback()));

        let by_ip = AllowList::parse("127.0.0.0/8 ::1").unwrap();
        assert!(!resolve_checked("localhost", &by_ip).await.unwrap().is_empty());

        // Through the reqwest trait, too.
        let resolver = GuardedResolver::default();
        let result = resolver.resolve("localhost".parse().unwrap()).await;
        assert!(result.is_err());
    }

    /// A one-shot HTTP server on 127.0.0.1 answering 200 "ok".
    async fn serve_once() -> (u16, tokio::task::JoinHandle<()>) {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let handle = tokio::spawn(async move {
            if let Ok((mut sock, _)) = listener.accept().await {
                let mut buf = [0u8; 4096];
                let _ = sock.read(&mut buf).await;
                let _ = sock
                    .write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: close\r\n\r\nok")
                    .await;
            }
        });
        (port, handle)
    }

    #[tokio::test]
    async fn guarded_client_refuses_internal_names_and_allows_listed_ones() {
        let (port, server) = serve_once().await;
        let url = format!("http://localhost:{port}/hook");

        let client = guarded_client(Arc::new(AllowList::empty()), Duration::from_secs(5)).unwrap();
        let err = client.post(&url).send().await.unwrap_err();
        let refused = refusal(&err).expect("the guard should be the cause");
        assert!(matches!(refused, Refused::InternalHost { .. }), "{refused}");

        let allow = Arc::new(AllowList::parse("localhost").unwrap());
        let client = guarded_client(allow, Duration::from_secs(5)).unwrap();
        let resp = client.post(&url).send().await.unwrap();
        assert_eq!(resp.status(), 200);
        assert_eq!(resp.text().await.unwrap(), "ok");
        server.await.unwrap();
    }

    #[tokio::test]
    async fn guarded_client_does_not_follow_redirects() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let server = tokio::spawn(async move {
            let (mut sock, _) = listener.accept().await.unwrap();
            let mut buf = [0u8; 4096];
            let _ = sock.read(&mut buf).await;
            sock.write_all(
                b"HTTP/1.1 302 Found\r\nlocation: http://169.254.169.254/\r\ncontent-length: 0\r\nconnection: close\r\n\r\n",
            )
            .await
            .unwrap();
        });
        let allow = Arc::new(AllowList::parse("127.0.0.1").unwrap());
        let client = guarded_client(allow, Duration::from_secs(5)).unwrap();
        let resp = client.post(format!("http://127.0.0.1:{port}/")).send().await.unwrap();
        assert_eq!(resp.status(), 302);
        server.await.unwrap();
    }
}
