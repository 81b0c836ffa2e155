//! Who is on the other end: the client's address, which throttles, refusal
//! counts and the sessions page use. Behind a reverse proxy (the normal way
//! to serve HTTPS) every connection comes from the proxy, so the address the
//! proxy saw is read from `X-Forwarded-For`, but only when the connection
//! comes from a proxy named in `--trusted-proxy`; from anyone else the
//! header is ignored, so a client cannot choose its own address.
use std::net::IpAddr;

/// The client address resolved for this request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ClientAddr(pub IpAddr);

/// A block of addresses, such as `10.0.0.0/8`, `192.0.2.7` or `::1/128`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Cidr {
    net: IpAddr,
    prefix: u8,
}

impl Cidr {
    pub fn parse(text: &str) -> Result<Self, String> {
        let text = text.trim();
        let quoted = crate::fields::shown(text);
        let (addr, prefix) = match text.split_once('/') {
            Some((a, p)) => (a, Some(p)),
            None => (text, None),
        };
        let net: IpAddr = addr
            .parse()
            .map_err(|_| format!("'{quoted}' is not an address or block such as 10.0.0.0/8"))?;
        let max = if net.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            None => max,
            Some(p) => p
                .parse::<u8>()
                .ok()
                .filter(|p| *p <= max)
                .ok_or_else(|| format!("'{quoted}': the prefix after / must be 0 to {max}"))?,
        };
        Ok(Self { net, prefix })
    }

    /// A comma-separated list; empty means none.
    pub fn parse_list(text: &str) -> Result<Vec<Self>, String> {
        let list: Vec<Self> = text
            .split(',')
            .filter(|t| !t.trim().is_empty())
            .map(Self::parse)
            .collect::<Result<_, _>>()?;
        if list.len() > 64 {
            return Err(format!(
                "names {} blocks; at most 64 may be named",
                list.len()
            ));
        }
        Ok(list)
    }

    pub fn contains(&self, addr: IpAddr) -> bool {
        // An IPv4 client may reach an IPv6 socket as ::ffff:a.b.c.d.
        let addr = match addr {
            IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(addr, IpAddr::V4),
            v4 => v4,
        };
        match (self.net, addr) {
            (IpAddr::V4(net), IpAddr::V4(a)) => {
                let mask = u32::MAX
                    .checked_shl(32 - u32::from(self.prefix))
                    .unwrap_or(0);
                u32::from(net) & mask == u32::from(a) & mask
            }
            (IpAddr::V6(net), IpAddr::V6(a)) => {
                let mask = u128::MAX
                    .checked_shl(128 - u32::from(self.prefix))
                    .unwrap_or(0);
                u128::from(net) & mask == u128::from(a) & mask
            }
            _ => false,
        }
    }
}

/// The client's address: the peer's, unless the peer is a trusted proxy;
/// then the nearest address in `X-Forwarded-For` (read from the right, as
/// each proxy appends the one it saw) that is not itself a trusted proxy.
/// A header that does not parse is ignored whole.
pub fn client_address(peer: IpAddr, forwarded_for: &[&str], trusted: &[Cidr]) -> IpAddr {
    let is_trusted = |a: IpAddr| trusted.iter().any(|c| c.contains(a));
    if !is_trusted(peer) {
        return peer;
    }
    let hops: Option<Vec<IpAddr>> = forwarded_for
        .iter()
        .flat_map(|h| h.split(','))
        .take(32)
        .map(|a| a.trim().parse().ok())
        .collect();
    let Some(hops) = hops else {
        return peer;
    };
    let mut client = peer;
    for hop in hops.into_iter().rev() {
        client = hop;
        if !is_trusted(hop) {
            break;
        }
    }
    client
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().expect("an address")
    }

    #[test]
    fn blocks_parse_and_hold_their_addresses() {
        let block = Cidr::parse("10.0.0.0/8").expect("a block");
        assert!(block.contains(ip("10.200.3.4")));
        assert!(
            block.contains(ip("::ffff:10.1.1.1")),
            "IPv4 mapped into IPv6"
        );
        assert!(!block.contains(ip("11.0.0.1")));
        assert!(Cidr::parse("192.0.2.7")
            .expect("one")
            .contains(ip("192.0.2.7")));
        assert!(!Cidr::parse("192.0.2.7")
            .expect("one")
            .contains(ip("192.0.2.8")));
        assert!(Cidr::parse("0.0.0.0/0")
            .expect("all")
            .contains(ip("8.8.8.8")));
        assert!(Cidr::parse("fd00::/8").expect("v6").contains(ip("fd12::1")));
        assert!(!Cidr::parse("fd00::/8")
            .expect("v6")
            .contains(ip("10.0.0.1")));
        for bad in [
            "10.0.0.0/33",
            "::1/129",
            "10.0.0/8",
            "x",
            "10.0.0.0/",
            "10.0.0.0/-1",
            "1.2.3.4/８",
        ] {
            assert!(Cidr::parse(bad).is_err(), "{bad}");
        }
        assert_eq!(
            Cidr::parse_list(" 10.0.0.0/8, ::1 ,").expect("two").len(),
            2
        );
        assert!(Cidr::parse_list("").expect("none").is_empty());
        assert!(Cidr::parse_list(&vec!["10.0.0.1"; 65].join(",")).is_err());
    }

    #[test]
    fn forwarded_for_counts_only_from_a_trusted_proxy() {
        let trusted = Cidr::parse_list("10.0.0.0/8").expect("list");
        let proxy = ip("10.0.0.2");
        // From the proxy: the address it saw.
        assert_eq!(
            client_address(proxy, &["203.0.113.5"], &trusted),
            ip("203.0.113.5")
        );
        // A client that sends its own header gets it appended to by the
        // proxy; only the proxy's (rightmost) entry counts.
        assert_eq!(
            client_address(proxy, &["198.51.100.1, 203.0.113.5"], &trusted),
            ip("203.0.113.5")
        );
        // Through two trusted proxies.
        assert_eq!(
            client_address(proxy, &["203.0.113.5, 10.0.0.9"], &trusted),
            ip("203.0.113.5")
        );
        assert_eq!(
            client_address(proxy, &["203.0.113.5", "10.0.0.9"], &trusted),
            ip("203.0.113.5")
        );
        // Not from a trusted proxy: ignored.
        assert_eq!(
            client_address(ip("203.0.113.9"), &["1.2.3.4"], &trusted),
            ip("203.0.113.9")
        );
        assert_eq!(
            client_address(proxy, &["1.2.3.4"], &[]),
            proxy,
            "no proxies trusted"
        );
        // Junk: ignored whole.
        assert_eq!(
            client_address(proxy, &["1.2.3.4, not-an-address"], &trusted),
            proxy
        );
        assert_eq!(client_address(proxy, &[], &trusted), proxy);
    }
}
