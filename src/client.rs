//! Who is asking: the client's address, for the limits on logins and signups.
//! This module parses and applies the trusted proxies; the request guard
//! that reads the address is `http::guards::ClientAddress`.
//!
//! The peer of the TCP connection is the client, unless the peer is one of
//! the proxies the operator lists in `BATON_TRUSTED_PROXIES` (addresses or
//! CIDR blocks, comma-separated; none by default). Only then is
//! `X-Forwarded-For` read, from the right: each proxy appends the address it
//! received the request from, so the rightmost entry that is not itself a
//! trusted proxy is the first hop nobody we trust vouches for — the client.
//! Entries to its left were written by that client and may be anything.
//! Without a trusted peer the header is ignored: anyone can send it.
//! (Rocket's own `X-Real-IP` reading is switched off for the same reason.)
//! The peer is the TCP peer, as the front door (`front.rs`) reports it when
//! it stands between the client and Rocket.

use std::net::IpAddr;

/// An address or a block of addresses, e.g. `10.0.0.0/8`, `::1`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cidr {
    network: IpAddr,
    prefix: u8,
}

impl Cidr {
    pub fn parse(text: &str) -> Option<Cidr> {
        let (address, prefix) = match text.split_once('/') {
            Some((address, prefix)) => (address, Some(prefix)),
            None => (text, None),
        };
        let network: IpAddr = address.trim().parse().ok()?;
        let full = if network.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            Some(prefix) => prefix.trim().parse::<u8>().ok().filter(|p| *p <= full)?,
            None => full,
        };
        Some(Cidr { network, prefix })
    }

    pub fn contains(&self, address: IpAddr) -> bool {
        let address = canonical(address);
        match (canonical(self.network), address) {
            (IpAddr::V4(network), IpAddr::V4(address)) => {
                let mask = u32::MAX
                    .checked_shl(32 - u32::from(self.prefix))
                    .unwrap_or(0);
                u32::from(network) & mask == u32::from(address) & mask
            }
            (IpAddr::V6(network), IpAddr::V6(address)) => {
                let mask = u128::MAX
                    .checked_shl(128 - u32::from(self.prefix))
                    .unwrap_or(0);
                u128::from(network) & mask == u128::from(address) & mask
            }
            _ => false,
        }
    }
}

/// `::ffff:10.0.0.1` is `10.0.0.1` (a dual-stack listener reports IPv4 peers so).
pub fn canonical(address: IpAddr) -> IpAddr {
    match address {
        IpAddr::V6(v6) => v6
            .to_ipv4_mapped()
            .map(IpAddr::V4)
            .unwrap_or(IpAddr::V6(v6)),
        v4 => v4,
    }
}

/// The proxies whose `X-Forwarded-For` is believed.
#[derive(Debug, Clone, Default)]
pub struct TrustedProxies(Vec<Cidr>);

impl TrustedProxies {
    /// A comma-separated list; an entry that is neither an address nor a
    /// CIDR block is returned as the error.
    pub fn parse(list: &str) -> Result<TrustedProxies, String> {
        list.split(',')
            .map(str::trim)
            .filter(|entry| !entry.is_empty())
            .map(|entry| Cidr::parse(entry).ok_or_else(|| entry.to_owned()))
            .collect::<Result<Vec<_>, _>>()
            .map(TrustedProxies)
    }

    pub fn trusts(&self, address: IpAddr) -> bool {
        self.0.iter().any(|block| block.contains(address))
    }

    /// The client behind `peer`, given the `X-Forwarded-For` values sent.
    pub fn client(&self, peer: IpAddr, forwarded_for: &[&str]) -> IpAddr {
        if !self.trusts(peer) {
            return canonical(peer);
        }
        let mut client = peer;
        let hops = forwarded_for.iter().flat_map(|value| value.split(','));
        for hop in hops.collect::<Vec<_>>().into_iter().rev() {
            let Some(address) = hop_address(hop) else {
                // Garbage where an address should be: the last hop we could
                // read is as far as the chain can be followed.
                break;
            };
            client = address;
            if !self.trusts(address) {
                break;
            }
        }
        canonical(client)
    }
}

/// One `X-Forwarded-For` entry: an address, possibly with a port
/// (`203.0.113.9:4711`, `[2001:db8::1]:4711`).
fn hop_address(hop: &str) -> Option<IpAddr> {
    let hop = hop.trim();
    hop.parse::<IpAddr>()
        .ok()
        .or_else(|| hop.parse::<std::net::SocketAddr>().ok().map(|s| s.ip()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    #[test]
    fn blocks_contain_their_addresses_only() {
        let block = Cidr::parse("10.1.0.0/16").unwrap();
        assert!(block.contains(ip("10.1.200.3")));
        assert!(block.contains(ip("::ffff:10.1.0.9")));
        assert!(!block.contains(ip("10.2.0.1")));
        assert!(Cidr::parse("0.0.0.0/0").unwrap().contains(ip("8.8.8.8")));
        assert!(
            Cidr::parse("2001:db8::/32")
                .unwrap()
                .contains(ip("2001:db8::7"))
        );
        assert_eq!(Cidr::parse("10.0.0.0/33"), None);
        assert_eq!(Cidr::parse("proxy.local"), None);
    }

    #[test]
    fn the_rightmost_untrusted_hop_is_the_client_and_only_behind_a_trusted_peer() {
        let proxies = TrustedProxies::parse("10.1.0.0/16, 192.0.2.10").unwrap();
        let chain = ["6.6.6.6, 203.0.113.9", "10.1.0.7"];
        assert_eq!(proxies.client(ip("10.1.0.5"), &chain), ip("203.0.113.9"));
        // From an untrusted peer the header is the client's own word.
        assert_eq!(
            proxies.client(ip("198.51.100.4"), &chain),
            ip("198.51.100.4")
        );
        // No header: the proxy itself.
        assert_eq!(proxies.client(ip("192.0.2.10"), &[]), ip("192.0.2.10"));
        // Unreadable entries stop the walk at the last readable hop.
        assert_eq!(
            proxies.client(ip("10.1.0.5"), &["203.0.113.9, junk, 10.1.0.8:80"]),
            ip("10.1.0.8")
        );
        assert!(TrustedProxies::parse("10.0.0.1, nonsense").is_err());
    }
}
