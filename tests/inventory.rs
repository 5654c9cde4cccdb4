//! The --inventory readers against the hand-written fixture exports
//! (fixtures/inventory/make.py): every encoding and form of the same
//! stores reads to the same records, and broken files are refused with the
//! file's line.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use excert::inventory::{parse_file, Problem};
use excert::model::Inventory;
use time::macros::datetime;

fn fixture(name: &str) -> Vec<u8> {
    let path = format!("{}/fixtures/inventory/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn read(name: &str) -> Inventory {
    parse_file(name, &fixture(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn thumb(name: &str) -> String {
    excert::analyze::cert::sha1_hex(&fixture(name))
}

/// (server, thumbprint, friendly name, services) of one record.
type Row = (String, String, Option<String>, Option<Vec<String>>);

fn summary(inv: &Inventory) -> Vec<Row> {
    inv.certificates
        .iter()
        .map(|c| {
            (
                c.server.clone(),
                c.thumbprint.clone(),
                c.friendly_name.clone(),
                c.services.clone(),
            )
        })
        .collect()
}

#[test]
fn remote_clixml_reads_friendly_names_and_servers_from_serialization_data() {
    let inv = read("certs-remote.xml");
    assert_eq!(inv.certificates.len(), 7);
    let ex02 = &inv.certificates[5];
    // The session ran on ex01 (PSComputerName), but Identity names ex02.
    assert_eq!(ex02.server, "ex02.contoso.local");
    assert_eq!(ex02.thumbprint, thumb("ex02.der"));
    assert_eq!(ex02.friendly_name.as_deref(), Some("Microsoft Exchange"));
    assert_eq!(
        ex02.services.as_deref(),
        Some(&["IMAP", "POP", "IIS", "SMTP"].map(String::from)[..])
    );
    assert_eq!(ex02.status.as_deref(), Some("DateInvalid"));
    assert_eq!(ex02.subject, "CN=EX02");
    assert_eq!(ex02.not_after, datetime!(2026-01-01 08:00 UTC));
    assert!(ex02.self_signed);
    assert!(!ex02.dates_assumed_utc);
    assert_eq!(ex02.source.object, 6);
    let renewed = &inv.certificates[2];
    assert_eq!(renewed.services.as_deref(), Some(&[][..]));
    assert_eq!(
        renewed.names,
        ["mail.contoso.com", "autodiscover.contoso.com"]
    );
}

#[test]
fn utf16_utf8_remote_and_local_forms_agree() {
    let remote = read("certs-remote.xml");
    for other in ["certs-remote-utf8.xml", "certs-local.xml"] {
        let inv = read(other);
        assert_eq!(summary(&inv), summary(&remote), "{other}");
        let dates = |i: &Inventory| {
            i.certificates
                .iter()
                .map(|c| (c.not_before, c.not_after))
                .collect::<Vec<_>>()
        };
        assert_eq!(dates(&inv), dates(&remote), "{other}");
    }
}

#[test]
fn csv_in_en_us_and_de_de_reads_the_same_dates_as_the_der() {
    let remote = read("certs-remote.xml");
    for name in ["certs-en-US.csv", "certs-de-DE.csv"] {
        let inv = read(name);
        assert_eq!(summary(&inv), summary(&remote), "{name}");
        for (c, r) in inv.certificates.iter().zip(&remote.certificates) {
            // The CSV holds CET wall-clock time without an offset: read as
            // UTC, one hour off, and flagged so.
            assert_eq!(
                c.not_after,
                r.not_after + time::Duration::hours(1),
                "{name}"
            );
            assert!(c.dates_assumed_utc, "{name}");
            assert_eq!(c.subject, r.subject, "{name}");
            assert_eq!(c.self_signed, r.self_signed, "{name}");
            assert!(c.der_base64.is_none());
        }
        // Line numbers: the #TYPE line and the header come first.
        let first = inv.certificates[0].source.object;
        assert_eq!(first, if name.contains("en-US") { 3 } else { 2 }, "{name}");
    }
}

#[test]
fn auth_config_with_and_without_a_next_certificate() {
    let a = read("authconfig.xml").auth_config.unwrap();
    assert_eq!(a.current_thumbprint, Some(thumb("auth.der")));
    assert_eq!(a.next_thumbprint, Some(thumb("auth_next.der")));
    assert_eq!(a.next_effective_date, Some(datetime!(2026-12-08 08:00 UTC)));
    assert_eq!(a.previous_thumbprint, None);
    let b = read("authconfig-nonext.xml").auth_config.unwrap();
    assert_eq!(b.current_thumbprint, a.current_thumbprint);
    assert_eq!((b.next_thumbprint, b.next_effective_date), (None, None));
}

#[test]
fn exchange_servers_and_connectors() {
    let s = read("servers.xml").exchange_servers;
    assert_eq!(s.len(), 2);
    assert_eq!(s[1].name, "EX02");
    assert_eq!(s[1].fqdn.as_deref(), Some("ex02.contoso.local"));
    assert_eq!(s[1].version.as_deref(), Some("Version 15.2 (Build 1544.4)"));
    let c = read("receive.xml").connectors;
    assert_eq!(c.len(), 1);
    assert_eq!(c[0].kind, "receive");
    assert!(c[0].hybrid);
    assert_eq!(c[0].servers, ["EX01"]);
    assert_eq!(
        c[0].tls_certificate_name.as_deref(),
        Some("<I>CN=Contoso Fixture Root CA<S>CN=mail.contoso.com")
    );
}

#[test]
fn truncated_malformed_and_unknown_files_are_refused_with_the_line() {
    let e = parse_file("truncated.xml", &fixture("truncated.xml")).unwrap_err();
    assert!(
        matches!(&e.problem, Problem::Clixml(c) if c.to_string().contains("truncated")),
        "{e}"
    );
    assert!(e.line.is_some(), "{e}");
    for (bytes, want) in [
        (&b"ex01\r\nex02\r\n"[..], "not a recognised export"),
        (b"", "empty"),
        (b"<Objs></Objs>", "no objects"),
        (
            b"<Objs><Obj><Props><S N=\"Name\">x</S></Props></Obj></Objs>",
            "not a certificate",
        ),
        (
            b"\"PSComputerName\",\"Thumbprint\",\"NotAfter\"\r\n\"ex01\",\"ABC\",\"1/1/2027 1:00:00 AM\"\r\n",
            "40 hex",
        ),
        (
            b"\"PSComputerName\",\"Thumbprint\",\"NotAfter\"\r\n\"ex01\",\"0123456789012345678901234567890123456789\",\"01/13/2027 13:00\"\r\n",
            "NotAfter",
        ),
        (
            b"<Objs><Obj><Props><BA N=\"RawData\">AAAA</BA><S N=\"PSComputerName\">x</S></Props></Obj></Objs>",
            "do not parse",
        ),
        (
            b"<Objs><Obj><Props><BA N=\"SerializationData\">AAEAAAD/////AQAAAAAAAAAM</BA><S N=\"PSComputerName\">x</S></Props></Obj></Objs>",
            "SerializationData",
        ),
    ] {
        let e = parse_file("bad", bytes).unwrap_err();
        assert!(e.to_string().contains(want), "{want}: {e}");
    }
    let e = parse_file(
        "bad",
        b"\"PSComputerName\",\"Thumbprint\",\"NotAfter\"\r\n\"ex01\",\"0123456789012345678901234567890123456789\",\"yesterday\"\r\n",
    )
    .unwrap_err();
    assert_eq!(e.line, Some(2));
    assert!(
        matches!(&e.problem, Problem::Date { column: "NotAfter", error } if error.text == "yesterday"),
        "{e:?}"
    );
    assert!(e.to_string().contains(": \"ex01\","), "{e}");
}

#[test]
fn two_exports_with_different_auth_configs_are_refused_naming_the_second() {
    let dir = format!("{}/fixtures/inventory", env!("CARGO_MANIFEST_DIR"));
    let first = std::path::PathBuf::from(format!("{dir}/authconfig.xml"));
    let second = std::path::PathBuf::from(format!("{dir}/authconfig-nonext.xml"));
    let err = excert::inventory::load(&[first, second.clone()]).unwrap_err();
    assert_eq!(err.exit_code(), 64);
    match &err {
        excert::Error::BadInventory { path, error } => {
            assert_eq!(path, &second);
            assert_eq!(error.problem, Problem::AuthConfigDiffers);
        }
        other => panic!("expected BadInventory, got {other:?}"),
    }
    assert!(err.to_string().starts_with(&format!(
        "{}: holds a Get-AuthConfig that differs",
        second.display()
    )));
}
