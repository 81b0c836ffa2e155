//! Where Muster may connect on its own behalf to an address a person
//! typed (a channel's webhook URL or mail server): public addresses, and
//! the networks an admin allows (`--allow-network`). Anything else is
//! refused: loopback, private, link-local (cloud metadata services live
//! there), shared, unspecified, multicast and broadcast addresses. The
//! check is made on the addresses a name resolves to, so a name that
//! points inside the network is refused too. Part of the spine: it names
//! no domain.
use ipnet::IpNet;
use std::{
    net::{IpAddr, SocketAddr},
    sync::Arc,
};

/// The networks an admin allows beyond public addresses.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Outbound {
    allowed: Arc<Vec<IpNet>>,
}

/// What kind of address inside the network `ip` is, or `None` for a
/// public one.
pub fn inside(ip: IpAddr) -> Option<&'static str> {
    match ip {
        IpAddr::V4(v4) => {
            let [a, b, ..] = v4.octets();
            if v4.is_loopback() {
                Some("loopback")
            } else if v4.is_unspecified() || a == 0 {
                Some("unspecified")
            } else if v4.is_private() {
                Some("private")
            } else if v4.is_link_local() {
                Some("link-local")
            } else if a == 100 && (64..128).contains(&b) {
                Some("shared (carrier-grade NAT)")
            } else if v4.is_multicast() || a >= 224 {
                Some("multicast or reserved")
            } else if v4.is_broadcast() {
                Some("broadcast")
            } else {
                None
            }
        }
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return inside(IpAddr::V4(v4));
            }
            let first = v6.segments()[0];
            if v6.is_loopback() {
                Some("loopback")
            } else if v6.is_unspecified() {
                Some("unspecified")
            } else if v6.is_multicast() {
                Some("multicast")
            } else if first & 0xffc0 == 0xfe80 {
                Some("link-local")
            } else if first & 0xfe00 == 0xfc00 {
                Some("private (unique local)")
            } else {
                None
            }
        }
    }
}

impl Outbound {
    /// Public addresses and `networks`.
    pub fn allowing(networks: Vec<IpNet>) -> Self {
        Self {
            allowed: Arc::new(networks),
        }
    }

    /// Why `ip` may not be reached, or `None` when it may.
    pub fn refusal(&self, ip: IpAddr) -> Option<String> {
        let kind = inside(ip)?;
        if self.allowed.iter().any(|n| n.contains(&ip)) {
            return None;
        }
        Some(format!(
            "{ip} is a {kind} address, inside the network: Muster reaches only public addresses \
             unless an admin allows the network (--allow-network)"
        ))
    }

    /// Checks a host as a person typed it: an address is checked as it
    /// is, and "localhost" as loopback; any other name is checked on the
    /// addresses it resolves to, when Muster connects.
    pub fn check_host(&self, host: &str) -> Result<(), String> {
        let host = host.trim_start_matches('[').trim_end_matches(']');
        let ip = if host.eq_ignore_ascii_case("localhost") {
            IpAddr::from([127, 0, 0, 1])
        } else {
            match host.parse::<IpAddr>() {
                Ok(ip) => ip,
                Err(_) => return Ok(()),
            }
        };
        self.refusal(ip).map_or(Ok(()), Err)
    }

    /// The addresses `host` resolves to that may be reached, or why none
    /// may (every address it resolves to is refused, or none resolves).
    pub async fn resolve(&self, host: &str, port: u16) -> Result<Vec<SocketAddr>, String> {
        let bare = host.trim_start_matches('[').trim_end_matches(']');
        let found: Vec<SocketAddr> = match bare.parse::<IpAddr>() {
            Ok(ip) => vec![SocketAddr::new(ip, port)],
            Err(_) => tokio::net::lookup_host((bare, port))
                .await
                .map_err(|e| format!("{bare} could not be resolved: {e}"))?
                .collect(),
        };
        let mut why = None;
        let kept: Vec<SocketAddr> = found
            .into_iter()
            .filter(|a| match self.refusal(a.ip()) {
                None => true,
                Some(refused) => {
                    why.get_or_insert(refused);
                    false
                }
            })
            .collect();
        if kept.is_empty() {
            return Err(why.unwrap_or_else(|| format!("{bare} has no address")));
        }
        Ok(kept)
    }

    /// A resolver for the HTTP client: every name it connects to is
    /// checked on the addresses it resolves to.
    pub fn resolver(&self) -> Arc<Resolver> {
        Arc::new(Resolver(self.clone()))
    }
}

/// [`Outbound`] as the HTTP client's resolver.
pub struct Resolver(Outbound);

impl reqwest::dns::Resolve for Resolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let outbound = self.0.clone();
        Box::pin(async move {
            let addrs = outbound.resolve(name.as_str(), 0).await?;
            Ok(Box::new(addrs.into_iter()) as reqwest::dns::Addrs)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(text: &str) -> IpAddr {
        text.parse().expect("an address")
    }

    #[test]
    fn addresses_inside_the_network_are_refused_unless_allowed() {
        let none = Outbound::default();
        for refused in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.9",
            "192.168.1.1",
            "169.254.169.254",
            "0.0.0.0",
            "100.64.0.1",
            "224.0.0.1",
            "255.255.255.255",
            "::1",
            "::",
            "fe80::1",
            "fd00::1",
            "::ffff:10.0.0.1",
        ] {
            assert!(none.refusal(ip(refused)).is_some(), "{refused}");
        }
        for public in ["93.184.216.34", "1.1.1.1", "2606:4700::1111"] {
            assert!(none.refusal(ip(public)).is_none(), "{public}");
        }
        let some = Outbound::allowing(vec!["10.0.0.0/8".parse().expect("net")]);
        assert!(some.refusal(ip("10.1.2.3")).is_none());
        assert!(some.refusal(ip("192.168.1.1")).is_some());
        assert!(none.check_host("localhost").is_err());
        assert!(none.check_host("[::1]").is_err());
        assert!(
            none.check_host("hooks.example.com").is_ok(),
            "checked when resolved"
        );
    }

    #[tokio::test]
    async fn a_name_is_checked_on_the_addresses_it_resolves_to() {
        let none = Outbound::default();
        let err = none.resolve("localhost", 80).await.expect_err("loopback");
        assert!(err.contains("loopback"), "{err}");
        let loopback = Outbound::allowing(vec!["127.0.0.0/8".parse().expect("net")]);
        assert!(loopback.resolve("127.0.0.1", 80).await.is_ok());
    }
}
