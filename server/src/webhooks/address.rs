//! Which IP addresses a webhook may be delivered to. A hospital chooses the URL, so without this
//! the worker would POST wherever the URL's host name points — the operator's own network
//! (`10/8`, `169.254.169.254`, loopback) included. The worker's resolver
//! (`pramana_anchor_worker::webhooks`) keeps only the addresses [`may_deliver_to`] admits, on
//! every attempt, and connects to those; the registration check refuses IP literals the same way.
//!
//! Refused: every range in the IANA IPv4 and IPv6 special-purpose address registries, multicast,
//! and everything outside IPv6 global unicast (`2000::/3`), which covers IPv4-mapped
//! (`::ffff:0:0/96`), IPv4-compatible, NAT64 (`64:ff9b::/96`, `64:ff9b:1::/48`), discard-only,
//! unique-local (`fc00::/7`), link-local (`fe80::/10`) and multicast (`ff00::/8`). A 6to4 address
//! (`2002::/16`) is refused when the IPv4 address it embeds is.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// Whether `ip` lies in a special-purpose range (see the module): not a public unicast address
/// on the Internet, so never a webhook's destination in production.
pub fn is_special_purpose(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_special_v4(v4),
        IpAddr::V6(v6) => is_special_v6(v6),
    }
}

/// Whether `ip` is a loopback or private address (`127/8`, `10/8`, `172.16/12`, `192.168/16`,
/// `::1`, `fc00::/7`, and the IPv4 ones mapped into IPv6): what `webhooks.allow_http`
/// (development and tests) admits besides public addresses. Link-local (cloud metadata at
/// `169.254.169.254`) and the other special ranges stay refused even then.
pub fn is_local_development(ip: IpAddr) -> bool {
    match ip.to_canonical() {
        IpAddr::V4(v4) => v4.is_loopback() || v4.is_private(),
        IpAddr::V6(v6) => v6.is_loopback() || (v6.segments()[0] & 0xfe00) == 0xfc00,
    }
}

/// Whether a webhook may be delivered to `ip`: a public address, or with `allow_local`
/// (`webhooks.allow_http`) also a loopback or private one.
pub fn may_deliver_to(ip: IpAddr, allow_local: bool) -> bool {
    !is_special_purpose(ip) || (allow_local && is_local_development(ip))
}

/// IPv4 special-purpose ranges (IANA registry, plus multicast and the reserved `240/4`, which
/// holds the limited broadcast address).
const SPECIAL_V4: &[(Ipv4Addr, u8)] = &[
    (Ipv4Addr::new(0, 0, 0, 0), 8),       // "this network" (RFC 791)
    (Ipv4Addr::new(10, 0, 0, 0), 8),      // private (RFC 1918)
    (Ipv4Addr::new(100, 64, 0, 0), 10),   // shared address space, carrier-grade NAT (RFC 6598)
    (Ipv4Addr::new(127, 0, 0, 0), 8),     // loopback
    (Ipv4Addr::new(169, 254, 0, 0), 16),  // link-local, cloud metadata (RFC 3927)
    (Ipv4Addr::new(172, 16, 0, 0), 12),   // private (RFC 1918)
    (Ipv4Addr::new(192, 0, 0, 0), 24),    // IETF protocol assignments (RFC 6890)
    (Ipv4Addr::new(192, 0, 2, 0), 24),    // documentation, TEST-NET-1 (RFC 5737)
    (Ipv4Addr::new(192, 31, 196, 0), 24), // AS112-v4 (RFC 7535)
    (Ipv4Addr::new(192, 52, 193, 0), 24), // AMT (RFC 7450)
    (Ipv4Addr::new(192, 88, 99, 0), 24),  // deprecated 6to4 relay anycast (RFC 7526)
    (Ipv4Addr::new(192, 168, 0, 0), 16),  // private (RFC 1918)
    (Ipv4Addr::new(192, 175, 48, 0), 24), // direct delegation AS112 (RFC 7534)
    (Ipv4Addr::new(198, 18, 0, 0), 15),   // benchmarking (RFC 2544)
    (Ipv4Addr::new(198, 51, 100, 0), 24), // documentation, TEST-NET-2 (RFC 5737)
    (Ipv4Addr::new(203, 0, 113, 0), 24),  // documentation, TEST-NET-3 (RFC 5737)
    (Ipv4Addr::new(224, 0, 0, 0), 4),     // multicast (RFC 5771)
    (Ipv4Addr::new(240, 0, 0, 0), 4),     // reserved, and 255.255.255.255 broadcast (RFC 1112, 919)
];

/// IPv6 special-purpose ranges inside global unicast `2000::/3` (outside it, all is refused).
const SPECIAL_V6_GLOBAL: &[(Ipv6Addr, u8)] = &[
    (Ipv6Addr::new(0x2001, 0, 0, 0, 0, 0, 0, 0), 23), // IETF protocol assignments: Teredo 2001::/32, benchmarking, ORCHID, AMT, ... (RFC 2928)
    (Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 0), 32), // documentation (RFC 3849)
    (Ipv6Addr::new(0x2620, 0x4f, 0x8000, 0, 0, 0, 0, 0), 48), // direct delegation AS112 (RFC 7534)
    (Ipv6Addr::new(0x3fff, 0, 0, 0, 0, 0, 0, 0), 20), // documentation (RFC 9637)
];

fn is_special_v4(ip: Ipv4Addr) -> bool {
    let bits = u32::from(ip);
    SPECIAL_V4.iter().any(|&(net, len)| {
        let mask = u32::MAX.checked_shl(32 - u32::from(len)).unwrap_or(0);
        bits & mask == u32::from(net) & mask
    })
}

fn is_special_v6(ip: Ipv6Addr) -> bool {
    let bits = u128::from(ip);
    // Global unicast is 2000::/3; everything else is special (see the module).
    if bits >> 125 != 0b001 {
        return true;
    }
    let in_range = |net: Ipv6Addr, len: u8| {
        let mask = u128::MAX.checked_shl(128 - u32::from(len)).unwrap_or(0);
        bits & mask == u128::from(net) & mask
    };
    if SPECIAL_V6_GLOBAL.iter().any(|&(net, len)| in_range(net, len)) {
        return true;
    }
    // 6to4 (RFC 3056): 2002:AABB:CCDD::/48 routes to the IPv4 address AA.BB.CC.DD.
    let s = ip.segments();
    if s[0] == 0x2002 {
        let [a, b] = s[1].to_be_bytes();
        let [c, d] = s[2].to_be_bytes();
        return is_special_v4(Ipv4Addr::new(a, b, c, d));
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    fn special(s: &str) -> bool {
        is_special_purpose(s.parse().unwrap())
    }

    #[test]
    fn every_ipv4_special_range_is_refused_at_both_ends() {
        for (first, last) in [
            ("0.0.0.0", "0.255.255.255"),
            ("10.0.0.0", "10.255.255.255"),
            ("100.64.0.0", "100.127.255.255"),
            ("127.0.0.1", "127.255.255.255"),
            ("169.254.0.0", "169.254.255.255"),
            ("172.16.0.0", "172.31.255.255"),
            ("192.0.0.0", "192.0.0.255"),
            ("192.0.2.0", "192.0.2.255"),
            ("192.31.196.0", "192.31.196.255"),
            ("192.52.193.0", "192.52.193.255"),
            ("192.88.99.0", "192.88.99.255"),
            ("192.168.0.0", "192.168.255.255"),
            ("192.175.48.0", "192.175.48.255"),
            ("198.18.0.0", "198.19.255.255"),
            ("198.51.100.0", "198.51.100.255"),
            ("203.0.113.0", "203.0.113.255"),
            ("224.0.0.0", "239.255.255.255"),
            ("240.0.0.0", "255.255.255.254"),
            ("255.255.255.255", "255.255.255.255"),
        ] {
            assert!(special(first), "{first}");
            assert!(special(last), "{last}");
        }
        assert!(special("169.254.169.254"), "cloud metadata");
    }

    #[test]
    fn public_ipv4_neighbours_of_special_ranges_are_allowed() {
        for ip in [
            "1.1.1.1",
            "8.8.8.8",
            "9.255.255.255",
            "11.0.0.0",
            "100.63.255.255",
            "100.128.0.0",
            "126.255.255.255",
            "128.0.0.0",
            "169.253.255.255",
            "172.15.255.255",
            "172.32.0.0",
            "192.0.1.0",
            "192.0.3.0",
            "192.167.255.255",
            "192.169.0.0",
            "198.17.255.255",
            "198.20.0.0",
            "203.0.112.255",
            "223.255.255.255",
        ] {
            assert!(!special(ip), "{ip}");
        }
    }

    #[test]
    fn ipv6_outside_global_unicast_is_refused() {
        for ip in [
            "::",                     // unspecified
            "::1",                    // loopback
            "::ffff:8.8.8.8",         // IPv4-mapped, even of a public address
            "::ffff:127.0.0.1",       // IPv4-mapped loopback
            "::ffff:169.254.169.254", // IPv4-mapped metadata
            "::8.8.8.8",              // IPv4-compatible (deprecated)
            "64:ff9b::a00:1",         // NAT64 well-known prefix (10.0.0.1)
            "64:ff9b::808:808",       // NAT64 of a public address
            "64:ff9b:1::1",           // NAT64 local use
            "100::1",                 // discard-only
            "fc00::1",                // unique local
            "fdff:ffff::1",           // unique local
            "fe80::1",                // link-local
            "febf:ffff::1",           // link-local, last block
            "fec0::1",                // site-local (deprecated)
            "ff02::1",                // multicast
            "ff0e::1",                // global multicast
            "5f00::1",                // SRv6 SIDs
            "4000::1",                // unassigned
            "1fff:ffff::1",           // just below 2000::/3
        ] {
            assert!(special(ip), "{ip}");
        }
    }

    #[test]
    fn ipv6_special_ranges_inside_global_unicast_are_refused() {
        for ip in [
            "2001::1",           // Teredo
            "2001:0:ffff::1",    // Teredo
            "2001:1::1",         // port control protocol anycast
            "2001:2::1",         // benchmarking
            "2001:3::1",         // AMT
            "2001:4:112::1",     // AS112-v6
            "2001:10::1",        // ORCHID (deprecated)
            "2001:20::1",        // ORCHIDv2
            "2001:1ff:ffff::1",  // end of 2001::/23
            "2001:db8::1",       // documentation
            "2001:db8:ffff::1",  // documentation
            "3fff::1",           // documentation (RFC 9637)
            "3fff:fff::1",       // documentation
            "2620:4f:8000::1",   // AS112 direct delegation
            "2002:7f00:1::1",    // 6to4 of 127.0.0.1
            "2002:a00:1::1",     // 6to4 of 10.0.0.1
            "2002:a9fe:a9fe::1", // 6to4 of 169.254.169.254
            "2002:c0a8:101::1",  // 6to4 of 192.168.1.1
            "2002:6440:1::1",    // 6to4 of 100.64.0.1
        ] {
            assert!(special(ip), "{ip}");
        }
    }

    #[test]
    fn public_ipv6_is_allowed() {
        for ip in [
            "2606:4700:4700::1111",
            "2a00:1450:4001:82b::200e",
            "2001:200::1",     // just past 2001::/23
            "2001:db9::1",     // just past the documentation /32
            "2002:808:808::1", // 6to4 of 8.8.8.8
            "2620:4f:8001::1", // past the AS112 /48
            "3ffe:ffff::1",    // below 3fff::/20
            "3fff:1000::1",    // past 3fff::/20
        ] {
            assert!(!special(ip), "{ip}");
        }
    }

    #[test]
    fn development_admits_loopback_and_private_but_never_link_local_or_metadata() {
        for ip in ["127.0.0.1", "10.1.2.3", "172.20.0.5", "192.168.1.1", "::1", "fd00::1", "::ffff:127.0.0.1"] {
            let ip: IpAddr = ip.parse().unwrap();
            assert!(!may_deliver_to(ip, false), "{ip} refused in production");
            assert!(may_deliver_to(ip, true), "{ip} admitted in development");
        }
        for ip in ["169.254.169.254", "fe80::1", "100.64.0.1", "0.0.0.0", "224.0.0.1", "255.255.255.255", "::"] {
            let ip: IpAddr = ip.parse().unwrap();
            assert!(!may_deliver_to(ip, true), "{ip} refused even in development");
        }
        for ip in ["8.8.8.8", "2606:4700:4700::1111"] {
            let ip: IpAddr = ip.parse().unwrap();
            assert!(may_deliver_to(ip, false) && may_deliver_to(ip, true), "{ip}");
        }
    }
}
