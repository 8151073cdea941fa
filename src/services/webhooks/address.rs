//! Which addresses a webhook may not reach (server-side request forgery).
//!
//! Whoever administers an organisation chooses a webhook's URL, and Baton
//! calls it from inside the operator's network: without a rule, an admin
//! could have Baton call the cloud's metadata service, a database's HTTP
//! port or anything else only Baton can reach. So every address a target
//! resolves to is classified here, on every delivery, and the call goes to
//! the addresses that were checked (`send.rs` pins them), so that a name
//! resolving elsewhere a moment later (DNS rebinding) changes nothing.
//!
//! Refused: loopback, private networks (RFC 1918, IPv6 unique local and the
//! old site-local), link-local, shared address space (CGNAT), cloud
//! metadata services, unspecified ("this network"), multicast, broadcast
//! and reserved addresses, and the same written inside IPv6 (IPv4-mapped,
//! IPv4-compatible, NAT64 and 6to4). `BATON_WEBHOOK_ALLOW_PRIVATE=1`
//! allows the internal ones (loopback, private, link-local, shared) for
//! receivers inside the operator's network. Metadata services, and
//! addresses that are never a receiver, stay refused even then: the
//! operator who allows an internal receiver has not thereby handed every
//! organisation's admin the machine's cloud credentials.
//!
//! Classification is a pure function of the address.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

/// Why an address is no webhook target.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Class {
    Loopback,
    /// RFC 1918, IPv6 unique local (fc00::/7) and site-local (fec0::/10).
    Private,
    LinkLocal,
    /// 100.64.0.0/10, carrier-grade NAT.
    Shared,
    /// A cloud's instance metadata service.
    Metadata,
    /// 0.0.0.0/8 and `::`; a connection to them reaches this host.
    Unspecified,
    Multicast,
    Broadcast,
    /// 240.0.0.0/4.
    Reserved,
}

impl Class {
    /// What the delivery log says of it.
    pub fn words(self) -> &'static str {
        match self {
            Class::Loopback => "a loopback address",
            Class::Private => "a private address",
            Class::LinkLocal => "a link-local address",
            Class::Shared => "a shared (carrier-grade NAT) address",
            Class::Metadata => "a cloud metadata address",
            Class::Unspecified => "an unspecified address",
            Class::Multicast => "a multicast address",
            Class::Broadcast => "the broadcast address",
            Class::Reserved => "a reserved address",
        }
    }

    /// Whether `BATON_WEBHOOK_ALLOW_PRIVATE` lets a webhook reach it.
    pub fn allowed_as_private(self) -> bool {
        matches!(
            self,
            Class::Loopback | Class::Private | Class::LinkLocal | Class::Shared
        )
    }
}

/// The class of an address a webhook may not reach; `None` for a public one.
pub fn classify(address: IpAddr) -> Option<Class> {
    match address {
        IpAddr::V4(v4) => classify_v4(v4),
        IpAddr::V6(v6) => classify_v6(v6),
    }
}

fn classify_v4(address: Ipv4Addr) -> Option<Class> {
    let [a, b, c, d] = address.octets();
    // Before the ranges that contain them.
    if [a, b, c, d] == [169, 254, 169, 254] || [a, b, c, d] == [100, 100, 100, 200] {
        return Some(Class::Metadata);
    }
    match (a, b) {
        (0, _) => Some(Class::Unspecified),
        (127, _) => Some(Class::Loopback),
        (10, _) | (192, 168) => Some(Class::Private),
        (172, 16..=31) => Some(Class::Private),
        (100, 64..=127) => Some(Class::Shared),
        (169, 254) => Some(Class::LinkLocal),
        (224..=239, _) => Some(Class::Multicast),
        (255, 255) if c == 255 && d == 255 => Some(Class::Broadcast),
        (240..=255, _) => Some(Class::Reserved),
        _ => None,
    }
}

fn classify_v6(address: Ipv6Addr) -> Option<Class> {
    if address == Ipv6Addr::UNSPECIFIED {
        return Some(Class::Unspecified);
    }
    if address == Ipv6Addr::LOCALHOST {
        return Some(Class::Loopback);
    }
    if let Some(v4) = embedded_v4(address) {
        return classify_v4(v4);
    }
    // AWS's metadata service over IPv6, inside fc00::/7.
    if address == Ipv6Addr::new(0xfd00, 0x0ec2, 0, 0, 0, 0, 0, 0x0254) {
        return Some(Class::Metadata);
    }
    let first = address.segments()[0];
    if first & 0xfe00 == 0xfc00 || first & 0xffc0 == 0xfec0 {
        Some(Class::Private)
    } else if first & 0xffc0 == 0xfe80 {
        Some(Class::LinkLocal)
    } else if first & 0xff00 == 0xff00 {
        Some(Class::Multicast)
    } else {
        None
    }
}

/// The IPv4 address an IPv6 one stands for, when it stands for one:
/// IPv4-mapped (`::ffff:a.b.c.d`), IPv4-compatible (`::a.b.c.d`), NAT64
/// (`64:ff9b::a.b.c.d`) or 6to4 (`2002:aabb:ccdd::/48`).
fn embedded_v4(address: Ipv6Addr) -> Option<Ipv4Addr> {
    let s = address.segments();
    let last_two = |high: u16, low: u16| {
        let [a, b] = high.to_be_bytes();
        let [c, d] = low.to_be_bytes();
        Ipv4Addr::new(a, b, c, d)
    };
    match s {
        [0, 0, 0, 0, 0, 0xffff, high, low] => Some(last_two(high, low)),
        [0, 0, 0, 0, 0, 0, high, low] => Some(last_two(high, low)),
        [0x64, 0xff9b, 0, 0, 0, 0, high, low] => Some(last_two(high, low)),
        [0x2002, high, low, ..] => Some(last_two(high, low)),
        _ => None,
    }
}

/// Why a target's addresses are refused: the first address that may not be
/// reached, in words for the delivery log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refused(pub String);

impl std::fmt::Display for Refused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// Whether a webhook may be sent to all of `addresses` (what its host
/// resolved to). One refused address refuses them all: a name that
/// resolves to a public and a private address is not half trusted.
pub fn check(addresses: &[SocketAddr], allow_private: bool) -> Result<(), Refused> {
    for address in addresses {
        let Some(class) = classify(address.ip()) else {
            continue;
        };
        if allow_private && class.allowed_as_private() {
            continue;
        }
        let remedy = if class.allowed_as_private() {
            " (BATON_WEBHOOK_ALLOW_PRIVATE=1 allows it)"
        } else {
            ""
        };
        return Err(Refused(format!(
            "refused: {} is {}{remedy}",
            address.ip(),
            class.words()
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v4(text: &str) -> Option<Class> {
        classify(text.parse().expect("an address"))
    }

    #[test]
    fn public_addresses_of_both_families_are_allowed() {
        for text in [
            "1.1.1.1",
            "8.8.8.8",
            "93.184.216.34",
            "100.63.255.255",
            "100.128.0.0",
            "172.15.255.255",
            "172.32.0.0",
            "192.167.255.255",
            "192.169.0.0",
            "169.253.255.255",
            "169.255.0.0",
            "223.255.255.255",
            "2606:4700:4700::1111",
            "2001:db8::1",
            "::ffff:8.8.8.8",
            "64:ff9b::808:808",
            "2002:808:808::1",
            "fbff:ffff::1",
            "fe00::1",
        ] {
            assert_eq!(v4(text), None, "{text}");
        }
    }

    #[test]
    fn every_refused_ipv4_range_is_recognised_at_both_of_its_ends() {
        for (text, class) in [
            ("0.0.0.0", Class::Unspecified),
            ("0.255.255.255", Class::Unspecified),
            ("127.0.0.1", Class::Loopback),
            ("127.255.255.254", Class::Loopback),
            ("10.0.0.0", Class::Private),
            ("10.255.255.255", Class::Private),
            ("172.16.0.0", Class::Private),
            ("172.31.255.255", Class::Private),
            ("192.168.0.0", Class::Private),
            ("192.168.255.255", Class::Private),
            ("100.64.0.0", Class::Shared),
            ("100.127.255.255", Class::Shared),
            ("169.254.0.0", Class::LinkLocal),
            ("169.254.255.255", Class::LinkLocal),
            ("169.254.169.254", Class::Metadata),
            ("100.100.100.200", Class::Metadata),
            ("224.0.0.0", Class::Multicast),
            ("239.255.255.255", Class::Multicast),
            ("240.0.0.0", Class::Reserved),
            ("255.255.255.254", Class::Reserved),
            ("255.255.255.255", Class::Broadcast),
        ] {
            assert_eq!(v4(text), Some(class), "{text}");
        }
    }

    #[test]
    fn every_refused_ipv6_range_is_recognised() {
        for (text, class) in [
            ("::", Class::Unspecified),
            ("::1", Class::Loopback),
            ("fc00::", Class::Private),
            ("fdff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", Class::Private),
            ("fec0::1", Class::Private),
            ("fe80::", Class::LinkLocal),
            ("febf:ffff::1", Class::LinkLocal),
            ("fd00:ec2::254", Class::Metadata),
            ("ff02::1", Class::Multicast),
            ("ff00::", Class::Multicast),
        ] {
            assert_eq!(v4(text), Some(class), "{text}");
        }
    }

    #[test]
    fn ipv4_written_inside_ipv6_is_classified_as_the_ipv4_it_is() {
        for (text, class) in [
            ("::ffff:127.0.0.1", Class::Loopback),
            ("::ffff:10.1.2.3", Class::Private),
            ("::ffff:169.254.169.254", Class::Metadata),
            ("::ffff:0.0.0.0", Class::Unspecified),
            ("::127.0.0.1", Class::Loopback),
            ("::192.168.1.1", Class::Private),
            ("::0.0.0.2", Class::Unspecified),
            ("64:ff9b::127.0.0.1", Class::Loopback),
            ("64:ff9b::a9fe:a9fe", Class::Metadata),
            ("2002:7f00:1::", Class::Loopback),
            ("2002:c0a8:101::1", Class::Private),
            ("2002:6440:1::", Class::Shared),
        ] {
            assert_eq!(v4(text), Some(class), "{text}");
        }
    }

    #[test]
    fn only_internal_classes_are_allowed_by_the_private_switch() {
        let allowed = [
            Class::Loopback,
            Class::Private,
            Class::LinkLocal,
            Class::Shared,
        ];
        for class in [
            Class::Loopback,
            Class::Private,
            Class::LinkLocal,
            Class::Shared,
            Class::Metadata,
            Class::Unspecified,
            Class::Multicast,
            Class::Broadcast,
            Class::Reserved,
        ] {
            assert_eq!(
                class.allowed_as_private(),
                allowed.contains(&class),
                "{class:?}"
            );
        }
    }

    fn at(text: &str) -> SocketAddr {
        SocketAddr::new(text.parse().expect("an address"), 443)
    }

    #[test]
    fn one_refused_address_refuses_the_whole_target_and_says_why() {
        assert_eq!(check(&[at("8.8.8.8"), at("2001:db8::1")], false), Ok(()));
        let refused = check(&[at("8.8.8.8"), at("127.0.0.1")], false);
        assert_eq!(
            refused,
            Err(Refused(
                "refused: 127.0.0.1 is a loopback address \
                 (BATON_WEBHOOK_ALLOW_PRIVATE=1 allows it)"
                    .into()
            ))
        );
        assert_eq!(check(&[at("8.8.8.8"), at("127.0.0.1")], true), Ok(()));
        assert_eq!(check(&[at("::ffff:10.0.0.1")], true), Ok(()));
    }

    #[test]
    fn metadata_and_unspecified_addresses_stay_refused_when_private_ones_are_allowed() {
        for text in [
            "169.254.169.254",
            "fd00:ec2::254",
            "0.0.0.0",
            "::",
            "224.0.0.1",
        ] {
            let refused = check(&[at(text)], true);
            assert!(refused.is_err(), "{text}");
            assert!(
                !refused.unwrap_err().0.contains("ALLOW_PRIVATE"),
                "{text}: no remedy offered"
            );
        }
    }
}
