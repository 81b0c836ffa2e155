//! The client networks a source accepts deliveries from: a list of CIDR
//! blocks (a bare address is one host). Empty means any address.
use ipnet::IpNet;
use std::net::IpAddr;

/// The most blocks one source may list.
pub const MAX_NETWORKS: usize = 64;

/// Reads a list separated by spaces, commas or new lines. The error names
/// the entry that is not a network.
pub fn parse(text: &str) -> Result<Vec<IpNet>, String> {
    let entries: Vec<&str> = text
        .split(|c: char| c.is_whitespace() || c == ',')
        .filter(|e| !e.is_empty())
        .collect();
    if entries.len() > MAX_NETWORKS {
        return Err(format!("at most {MAX_NETWORKS} networks"));
    }
    entries
        .into_iter()
        .map(|entry| {
            entry
                .parse::<IpNet>()
                .or_else(|_| entry.parse::<IpAddr>().map(IpNet::from))
                .map(|net| net.trunc())
                .map_err(|_| {
                    format!(
                        "'{}' is not a network (write 192.0.2.0/24, 2001:db8::/32 or one address)",
                        crate::fields::shown(entry)
                    )
                })
        })
        .collect()
}

/// The list as stored and shown: one space between blocks.
pub fn normalised(nets: &[IpNet]) -> String {
    nets.iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(" ")
}

/// Whether `client` may deliver: any address when no network is listed.
/// An IPv4 client seen as an IPv6-mapped address counts as IPv4.
pub fn allows(nets: &[IpNet], client: IpAddr) -> bool {
    let client = match client {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(client, IpAddr::V4),
        v4 => v4,
    };
    nets.is_empty() || nets.iter().any(|net| net.contains(&client))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(text: &str) -> IpAddr {
        text.parse().expect("address")
    }

    #[test]
    fn blocks_and_single_addresses_match_what_they_cover() {
        let nets = parse("192.0.2.0/24, 10.1.2.3\n2001:db8::/32").expect("parse");
        assert_eq!(normalised(&nets), "192.0.2.0/24 10.1.2.3/32 2001:db8::/32");
        assert!(allows(&nets, ip("192.0.2.200")));
        assert!(allows(&nets, ip("::ffff:192.0.2.7")));
        assert!(allows(&nets, ip("10.1.2.3")));
        assert!(!allows(&nets, ip("10.1.2.4")));
        assert!(allows(&nets, ip("2001:db8:1::5")));
        assert!(!allows(&nets, ip("127.0.0.1")));
        assert!(allows(&[], ip("203.0.113.9")), "no list: any address");
        // Host bits are dropped, as the block means.
        assert_eq!(
            normalised(&parse("192.0.2.77/24").expect("parse")),
            "192.0.2.0/24"
        );
    }

    #[test]
    fn a_bad_entry_is_named_and_the_list_is_bounded() {
        let err = parse("192.0.2.0/24 192.0.2.0/33").unwrap_err();
        assert!(err.starts_with("'192.0.2.0/33' is not a network"), "{err}");
        assert!(parse("example.com").unwrap_err().contains("'example.com'"));
        let many = (0..=MAX_NETWORKS)
            .map(|i| format!("10.0.{i}.0/24"))
            .collect::<Vec<_>>();
        assert_eq!(parse(&many.join(" ")).unwrap_err(), "at most 64 networks");
    }
}
