//! The --inventory readers against the hand-written fixture exports
//! (fixtures/inventory/make.py): every encoding and form of the same
//! stores reads to the same records, and broken files are refused with the
//! file's line.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use excert::inventory::{parse_file, Problem};
use excert::model::{ExchangeService, Inventory};
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
                c.services
                    .as_ref()
                    .map(|s| s.iter().map(|x| x.name().to_string()).collect()),
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
        Some(&ExchangeService::list("IMAP, POP, IIS, SMTP")[..])
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
    assert_eq!(c[0].kind.as_str(), "receive");
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

// Real exports (CSS-Exchange test data, ../shared/samples/css-exchange).
// The expected values were worked out from the XML with an independent
// script (RawData's SHA-1, the NRBF members, openssl for the dates), not
// from this parser.

fn sample_path(name: &str) -> String {
    format!(
        "{}/../shared/samples/css-exchange/{name}",
        env!("CARGO_MANIFEST_DIR")
    )
}

fn sample(name: &str) -> Inventory {
    let path = sample_path(name);
    let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let inv = parse_file(name, &bytes).unwrap_or_else(|e| panic!("{name}: {e}"));
    assert!(inv.warnings.is_empty(), "{name}: {:?}", inv.warnings);
    inv
}

/// (thumbprint, friendly name, services) of every certificate, in order.
fn certs(inv: &Inventory) -> Vec<(&str, &str, String)> {
    inv.certificates
        .iter()
        .map(|c| {
            (
                c.thumbprint.as_str(),
                c.friendly_name.as_deref().unwrap_or("(none)"),
                c.services
                    .as_ref()
                    .map_or("(unknown)".into(), |s| ExchangeService::join(s, ",")),
            )
        })
        .collect()
}

#[test]
fn real_certificate_exports_read_from_bare_and_signed_serialization_data() {
    // Bare NRBF (older servers), with BinaryArray records.
    let inv = sample("GetExchangeCertificateWithoutAuth.xml");
    assert_eq!(
        certs(&inv),
        [
            (
                "611C687DFC4343A5A03E0005A1EC6E9B6AFF586D",
                "Microsoft Exchange",
                "IMAP,POP,IIS".into()
            ),
            (
                "E267D459A0FB53D0EF225C11FAC062D522648C09",
                "IIS Express Development Certificate",
                String::new()
            ),
            (
                "3341CEAF3DF4D3A9527EC98BDD53C54ECC3E0620",
                "WMSVC-SHA2",
                String::new()
            ),
        ]
    );
    for c in &inv.certificates {
        // Identity names the store's server, not only the session's.
        assert_eq!(c.server, "WIN-CTD3L0RGEN4.exlab.dom");
        assert_eq!(c.status.as_deref(), Some("Valid"));
        assert!(c.der_base64.is_some() && c.self_signed);
    }
    assert_eq!(
        inv.certificates[0].not_after,
        datetime!(2026-08-06 13:56:14 UTC)
    );
    assert_eq!(inv.certificates[0].subject, "CN=WIN-CTD3L0RGEN4");
    assert_eq!(
        inv.certificates[2].not_after,
        datetime!(2031-08-04 11:58:42 UTC)
    );

    let inv = sample("GetExchangeCertificateIncomplete.xml");
    assert_eq!(
        certs(&inv),
        [
            (
                "E267D459A0FB53D0EF225C11FAC062D522648C09",
                "IIS Express Development Certificate",
                "SMTP".into()
            ),
            (
                "3341CEAF3DF4D3A9527EC98BDD53C54ECC3E0620",
                "WMSVC-SHA2",
                String::new()
            ),
        ]
    );

    // Signed (#sig# envelope), as servers write since November 2023.
    let inv = sample("GetExchangeCertifiateWithNewAuthConfigCert.xml");
    let auth = "Microsoft Exchange Server Auth Certificate - ";
    assert_eq!(
        certs(&inv),
        [
            (
                "B22BD738BED13136D29B7F410CE2993C5313F8FA",
                &*format!("{auth}20230105015642"),
                "SMTP".into()
            ),
            (
                "BC6BF924D6EF046E64F8D1987DC1D7D2F4C0042A",
                &*format!("{auth}20230104021554"),
                "SMTP".into()
            ),
            (
                "E1BDF9AE58C93C75E76C9DD882138FB8FF0FA786",
                &*format!("{auth}20221230045512"),
                "SMTP".into()
            ),
            (
                "D003810EBE1624145889D031FBB77ED2BD280FD3",
                "E2k16-1",
                "IMAP,IIS,SMTP".into()
            ),
            (
                "2759456DC53C76E3DED093B567B6D8DAA42C0ADD",
                "SelfSignedCert",
                "IIS".into()
            ),
            (
                "FE0FAE9305F294F49DD2426AB214CC17853A7E87",
                "WMSVC-SHA2",
                String::new()
            ),
        ]
    );
    assert!(inv
        .certificates
        .iter()
        .all(|c| c.server == "E2k16-1.Contoso.lab" && c.status.as_deref() == Some("Valid")));
    assert_eq!(
        inv.certificates[0].not_after,
        datetime!(2028-01-05 13:57:11 UTC)
    );
    assert_eq!(inv.certificates[4].subject, "CN=mail.contoso.lab");

    for (file, thumb, services) in [
        (
            "InvalidExchangeDefaultTransportCertificate.xml",
            "0CEB5AC90A9E4BB9E4F8F1F0D7FC8F4EEA4F2CA2",
            "IMAP,SMTP",
        ),
        (
            "NewExchangeCertificateDefaultTransport.xml",
            "A86B1B7414E51491D446905511A329A7FE120510",
            "IMAP,SMTP",
        ),
        (
            "NewExchangeAuthCertificate.xml",
            "B22BD738BED13136D29B7F410CE2993C5313F8FA",
            "SMTP",
        ),
    ] {
        let inv = sample(file);
        assert_eq!(inv.certificates.len(), 1, "{file}");
        let c = &inv.certificates[0];
        assert_eq!(c.thumbprint, thumb, "{file}");
        assert_eq!(
            ExchangeService::join(c.services.as_ref().unwrap(), ","),
            services,
            "{file}"
        );
        assert_eq!(c.server, "E2k16-1.Contoso.lab", "{file}");
        assert_eq!(c.status.as_deref(), Some("Valid"), "{file}");
    }
    let name = |f: &str| sample(f).certificates[0].friendly_name.clone().unwrap();
    assert_eq!(
        name("NewExchangeCertificateDefaultTransport.xml"),
        "E2k16-1"
    );
    assert_eq!(
        name("NewExchangeAuthCertificate.xml"),
        format!("{auth}20230105015642")
    );
}

#[test]
fn real_auth_config_and_exchange_server_exports() {
    let a = sample("GetAuthConfig.xml").auth_config.unwrap();
    assert_eq!(
        a.current_thumbprint.as_deref(),
        Some("2D10A746D6BB8D795F1679AEBD89D5D2AE583CB7")
    );
    assert_eq!(
        (
            a.next_thumbprint,
            a.next_effective_date,
            a.previous_thumbprint
        ),
        (None, None, None)
    );
    let b = sample("GetAuthConfigNoNextCert.xml").auth_config.unwrap();
    assert_eq!(
        b.current_thumbprint.as_deref(),
        Some("B22BD738BED13136D29B7F410CE2993C5313F8FA")
    );
    assert_eq!(b.next_thumbprint, None);

    let s = sample("E16-GetExchangeServer.xml").exchange_servers;
    assert_eq!(s.len(), 1);
    assert_eq!(s[0].name, "SOLO-E16A");
    assert_eq!(s[0].fqdn.as_deref(), Some("Solo-E16A.Solo.local"));
    assert_eq!(s[0].role.as_deref(), Some("Mailbox"));
    assert_eq!(s[0].version.as_deref(), Some("Version 15.1 (Build 2375.7)"));
    let s = sample("Monitor-GetExchangeServer.xml").exchange_servers;
    let names: Vec<_> = s
        .iter()
        .map(|s| (s.name.as_str(), s.fqdn.as_deref()))
        .collect();
    assert_eq!(
        names,
        [
            ("E2k16-1", Some("E2k16-1.Contoso.lab")),
            ("E2k16-2", Some("E2k16-2.Contoso.lab"))
        ]
    );
    assert!(s
        .iter()
        .all(|s| s.version.as_deref() == Some("Version 15.1 (Build 2507.18)")));
}

#[test]
fn real_receive_connectors_hybrid_by_tls_domain_capabilities() {
    let names = [
        "Default WIN-CTD3L0RGEN4",
        "Client Proxy WIN-CTD3L0RGEN4",
        "Default Frontend WIN-CTD3L0RGEN4",
        "Outbound Proxy Frontend WIN-CTD3L0RGEN4",
        "Client Frontend WIN-CTD3L0RGEN4",
    ];
    for (file, tls) in [
        (
            "GetReceiveConnector.xml",
            Some("<I>CN=WIN-CTD3L0RGEN4<S>CN=WIN-CTD3L0RGEN4"),
        ),
        ("GetReceiveConnectorEmptyTlsCertificateName.xml", None),
    ] {
        let c = sample(file).connectors;
        assert_eq!(
            c.iter().map(|c| c.name.as_str()).collect::<Vec<_>>(),
            names,
            "{file}"
        );
        for k in &c {
            assert_eq!(k.kind.as_str(), "receive");
            assert_eq!(k.servers, ["WIN-CTD3L0RGEN4"]);
            assert_eq!(k.fqdn.as_deref(), Some("WIN-CTD3L0RGEN4.exlab.dom"));
        }
        let hybrid: Vec<_> = c
            .iter()
            .filter(|c| c.hybrid)
            .map(|c| c.name.as_str())
            .collect();
        assert_eq!(hybrid, ["Default Frontend WIN-CTD3L0RGEN4"], "{file}");
        assert_eq!(c[2].tls_certificate_name.as_deref(), tls, "{file}");
        assert_eq!(
            c[2].tls_domain_capabilities,
            ["fabrikam.com:AcceptCloudServicesMail"]
        );
        assert_eq!(c[2].bindings, ["[::]:25", "0.0.0.0:25"]);
        assert_eq!(c[0].bindings, ["0.0.0.0:2525", "[::]:2525"]);
        assert!(c
            .iter()
            .filter(|c| !c.hybrid)
            .all(|c| c.tls_certificate_name.is_none()));
    }
}

#[test]
fn real_send_connectors_hybrid_by_cloud_services_mail_enabled() {
    let c = sample("GetSendConnector.xml").connectors;
    assert_eq!(c.len(), 1);
    assert_eq!(
        (c[0].kind.as_str(), c[0].name.as_str()),
        ("send", "Mail to O365")
    );
    assert!(c[0].hybrid);
    assert_eq!(c[0].servers, ["WIN-CTD3L0RGEN4"]);
    assert_eq!(
        c[0].tls_certificate_name.as_deref(),
        Some("<I>CN=localhost<S>CN=localhost")
    );
    assert_eq!(
        c[0].smart_hosts,
        ["microsoft-com.mail.protection.outlook.com"]
    );
    assert_eq!(
        (c[0].tls_auth_level.as_deref(), c[0].fqdn.as_deref()),
        (None, None)
    );
    let c = sample("GetSendConnectorConfiguredToRelayToM365.xml").connectors;
    assert_eq!(c.len(), 1);
    assert_eq!(c[0].name, "My company to Office 365");
    assert!(c[0].hybrid);
    assert_eq!(c[0].tls_certificate_name, None);
    assert_eq!(
        c[0].tls_auth_level.as_deref(),
        Some("CertificateValidation")
    );
    assert_eq!(c[0].fqdn.as_deref(), Some("mail.contoso.com"));
    assert_eq!(
        c[0].smart_hosts,
        ["ThisTenantDoesntExists-com.mail.protection.outlook.com"]
    );
}

#[test]
fn every_sample_file_reads() {
    let dir = sample_path("");
    let mut n = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "xml") {
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            let inv = sample(&name);
            let records = inv.certificates.len()
                + inv.connectors.len()
                + inv.exchange_servers.len()
                + usize::from(inv.auth_config.is_some());
            assert!(records > 0, "{name}");
            n += 1;
        }
    }
    assert_eq!(n, 14);
}

/// The 1-based line of the `n`th (1-based) top-level `<Obj` in `text`.
fn object_line(text: &str, n: usize) -> usize {
    let at = text.match_indices("\n  <Obj ").nth(n - 1).unwrap().0 + 1;
    text[..at].matches('\n').count() + 1
}

/// Replace the base64 of the `n`th (1-based) `<BA N="{prop}">` with `with`.
fn replace_ba(text: &str, prop: &str, n: usize, with: &str) -> String {
    let open = format!("<BA N=\"{prop}\">");
    let start = text.match_indices(&open).nth(n - 1).unwrap().0 + open.len();
    let end = start + text[start..].find("</BA>").unwrap();
    format!("{}{with}{}", &text[..start], &text[end..])
}

#[test]
fn one_unreadable_object_is_a_warning_and_the_rest_is_read() {
    let name = "GetExchangeCertificateWithoutAuth.xml";
    let text = std::fs::read_to_string(sample_path(name)).unwrap();
    // Object 2's SerializationData cut short: read from RawData instead.
    let cut = replace_ba(&text, "SerializationData", 2, "AAEAAAD/////AQAAAAAAAAAM");
    let inv = parse_file(name, cut.as_bytes()).unwrap();
    assert_eq!(inv.certificates.len(), 3);
    let c = &inv.certificates[1];
    assert_eq!(c.thumbprint, "E267D459A0FB53D0EF225C11FAC062D522648C09");
    assert_eq!(c.not_after, datetime!(2026-08-06 00:00 UTC));
    assert_eq!(
        (&c.services, &c.status, &c.friendly_name),
        (&None, &None, &None)
    );
    // The session's server stands in for Identity, which was in the blob.
    assert_eq!(c.server, "win-ctd3l0rgen4.exlab.dom");
    assert_eq!(inv.warnings.len(), 1, "{:?}", inv.warnings);
    let w = &inv.warnings[0];
    assert_eq!((w.file.as_str(), w.object), (name, 2));
    assert_eq!(w.line, object_line(&cut, 2));
    assert!(
        w.message.contains("SerializationData") && w.message.contains("plain properties"),
        "{}",
        w.message
    );
    assert!(
        w.message
            .contains("services, status, friendly name unknown"),
        "{}",
        w.message
    );

    // Object 3 unusable altogether (no DER anywhere): skipped, named.
    let worse = replace_ba(&cut, "RawData", 3, "AAAA");
    let worse = replace_ba(&worse, "SerializationData", 3, "AAAA");
    let inv = parse_file(name, worse.as_bytes()).unwrap();
    let thumbs: Vec<_> = inv
        .certificates
        .iter()
        .map(|c| &c.thumbprint[..4])
        .collect();
    assert_eq!(thumbs, ["611C", "E267"]);
    assert_eq!(inv.warnings.len(), 2);
    assert_eq!(
        (inv.warnings[1].object, inv.warnings[1].line),
        (3, object_line(&worse, 3))
    );
    assert!(
        inv.warnings[1].message.starts_with("skipped: "),
        "{}",
        inv.warnings[1].message
    );

    // Nothing readable at all: the file is refused, with the first reason.
    let mut none = worse;
    for n in 1..=2 {
        none = replace_ba(&none, "RawData", n, "AAAA");
        none = replace_ba(&none, "SerializationData", n, "AAAA");
    }
    let e = parse_file(name, none.as_bytes()).unwrap_err();
    assert_eq!(e.line, Some(object_line(&none, 1)), "{e}");
}

#[test]
fn a_clixml_cut_anywhere_is_refused() {
    for name in [
        "GetExchangeCertifiateWithNewAuthConfigCert.xml",
        "GetSendConnector.xml",
    ] {
        let bytes = std::fs::read(sample_path(name)).unwrap();
        let end = bytes.iter().rposition(|b| *b == b'>').unwrap() + 1;
        // Every 97th byte, and every byte of the first object's end and
        // of the file's end.
        let first = String::from_utf8_lossy(&bytes).find("</Obj>").unwrap();
        let cuts = (0..end)
            .step_by(97)
            .chain(first - 100..first + 100)
            .chain(end - 100..end);
        for cut in cuts {
            let r = parse_file(name, &bytes[..cut]);
            assert!(r.is_err(), "{name} cut at {cut} was read");
        }
        assert!(parse_file(name, &bytes[..end]).is_ok());
    }
}

#[test]
fn a_csv_cut_anywhere_reads_exactly_its_complete_rows_or_is_refused() {
    let name = "certs-en-US.csv";
    let bytes = fixture(name);
    let full = read(name).certificates;
    // Where each data row ends (after its CRLF): rows are complete there.
    let text = String::from_utf8(bytes.clone()).unwrap();
    let ends: Vec<usize> = text
        .match_indices("\r\n")
        .map(|(i, _)| i + 2)
        .skip(2)
        .collect();
    assert_eq!(ends.len(), full.len());
    let (mut read_ok, mut refused) = (0, 0);
    for cut in 0..=bytes.len() {
        match parse_file(name, &bytes[..cut]) {
            Ok(inv) => {
                // A row is complete once its closing quote is there; the
                // line end may be cut off.
                let complete = ends.iter().filter(|e| **e <= cut + 2).count();
                assert_eq!(inv.certificates, full[..complete], "cut at {cut}");
                read_ok += 1;
            }
            Err(e) => {
                assert!(e.line.is_some() || cut < 200, "cut at {cut}: {e}");
                refused += 1;
            }
        }
    }
    assert!(
        read_ok >= full.len() * 3 && refused > 1000,
        "{read_ok} {refused}"
    );
}

/// A stale CSV row for a certificate of the real export: another NotAfter,
/// other services.
const STALE_CSV: &str = "\"PSComputerName\",\"FriendlyName\",\"Thumbprint\",\"Services\",\"NotBefore\",\"NotAfter\",\"Subject\",\"Issuer\"\r\n\
\"WIN-CTD3L0RGEN4.exlab.dom\",\"Microsoft Exchange\",\"611C687DFC4343A5A03E0005A1EC6E9B6AFF586D\",\"IMAP, POP, IIS, SMTP\",\"8/6/2021 1:56:14 PM\",\"8/6/2030 1:56:14 PM\",\"CN=WIN-CTD3L0RGEN4\",\"CN=WIN-CTD3L0RGEN4\"\r\n";

#[test]
fn conflicting_records_the_der_backed_one_wins_in_either_file_order() {
    let tmp = tempfile::tempdir().unwrap();
    let csv = tmp.path().join("stale.csv");
    std::fs::write(&csv, STALE_CSV).unwrap();
    let xml = std::path::PathBuf::from(sample_path("GetExchangeCertificateWithoutAuth.xml"));
    for order in [[csv.clone(), xml.clone()], [xml.clone(), csv.clone()]] {
        let inv = excert::inventory::load(&order).unwrap().unwrap();
        // One record per server and thumbprint.
        assert_eq!(inv.certificates.len(), 3, "{order:?}");
        let c = inv
            .certificates
            .iter()
            .find(|c| c.thumbprint.starts_with("611C"))
            .unwrap();
        assert_eq!(c.not_after, datetime!(2026-08-06 13:56:14 UTC), "{order:?}");
        assert_eq!(
            ExchangeService::join(c.services.as_ref().unwrap(), ","),
            "IMAP,POP,IIS"
        );
        assert!(c.der_base64.is_some());
        let fields: Vec<_> = inv.conflicts.iter().map(|k| k.field.as_str()).collect();
        assert_eq!(fields, ["not_after", "services"], "{order:?}");
        let k = &inv.conflicts[0];
        assert_eq!(k.server, "WIN-CTD3L0RGEN4.exlab.dom");
        assert_eq!(k.thumbprint, "611C687DFC4343A5A03E0005A1EC6E9B6AFF586D");
        assert_eq!(
            (k.kept.as_str(), k.dropped.as_str()),
            ("2026-08-06T13:56:14Z", "2030-08-06T13:56:14Z")
        );
        assert_eq!(k.kept_source.file, xml.display().to_string());
        assert_eq!(
            (k.dropped_source.file.as_str(), k.dropped_source.object),
            (&*csv.display().to_string(), 2)
        );
    }
    // The CSV names the server by its short name: still the same store.
    let short = tmp.path().join("short.csv");
    std::fs::write(
        &short,
        STALE_CSV.replace("\"WIN-CTD3L0RGEN4.exlab.dom\"", "\"win-ctd3l0rgen4\""),
    )
    .unwrap();
    let inv = excert::inventory::load(&[short, xml.clone()])
        .unwrap()
        .unwrap();
    assert_eq!(inv.certificates.len(), 3);
    assert_eq!(inv.certificates[0].server, "WIN-CTD3L0RGEN4.exlab.dom");
    assert_eq!(
        inv.certificates[0].not_after,
        datetime!(2026-08-06 13:56:14 UTC)
    );
    assert_eq!(inv.conflicts.len(), 2);
    // The same certificate in two real exports that agree on all but
    // services: the first read is kept, the disagreement recorded.
    let both = [
        xml.clone(),
        std::path::PathBuf::from(sample_path("GetExchangeCertificateIncomplete.xml")),
    ];
    let inv = excert::inventory::load(&both).unwrap().unwrap();
    assert_eq!(inv.certificates.len(), 3);
    assert_eq!(inv.conflicts.len(), 1);
    assert_eq!(
        (
            inv.conflicts[0].field.as_str(),
            inv.conflicts[0].kept.as_str(),
            inv.conflicts[0].dropped.as_str()
        ),
        ("services", "None", "SMTP")
    );
}

fn lps(s: &str) -> Vec<u8> {
    let mut v = vec![u8::try_from(s.len()).unwrap()];
    v.extend(s.as_bytes());
    v
}

/// NRBF that expands: one class of `members` members of primitive type
/// Null (no bytes per value), then `copies` ClassWithId records of it.
fn expanding_nrbf(members: usize, copies: i32) -> Vec<u8> {
    let mut v = vec![0];
    for n in [1i32, -1, 1, 0] {
        v.extend(n.to_le_bytes());
    }
    v.push(4);
    v.extend(1i32.to_le_bytes());
    v.extend(lps("Evil.Class"));
    v.extend(i32::try_from(members).unwrap().to_le_bytes());
    for m in 0..members {
        v.extend(lps(&format!("member_name_number_{m:06}_xxxxxxxxxxxx")));
    }
    v.extend(vec![0u8; members]);
    v.extend(vec![17u8; members]);
    for k in 0..copies {
        v.push(1);
        v.extend((2 + k).to_le_bytes());
        v.extend(1i32.to_le_bytes());
    }
    v.push(11);
    v
}

/// A 2.5 MB CLIXML built to blow up a reader that copies: one real
/// certificate, a `<TN>` of 5,000 long type names, thousands of objects
/// that `<TNRef>` it, and SerializationData whose ClassWithId records
/// each repeat 1,000 member names.
fn adversarial_clixml() -> String {
    use base64::Engine;
    let real =
        std::fs::read_to_string(sample_path("GetExchangeCertificateWithoutAuth.xml")).unwrap();
    let start = real.find("<Obj RefId=\"0\">").unwrap();
    let end = real.find("\n  <Obj RefId=\"1\">").unwrap();
    let first = real[start..end].replace("TN RefId=\"0\"", "TN RefId=\"real\"");
    let blob = base64::engine::general_purpose::STANDARD.encode(expanding_nrbf(1000, 200));
    let mut out = String::from(
        "<Objs Version=\"1.1.0.1\" xmlns=\"http://schemas.microsoft.com/powershell/2004/04\">",
    );
    out.push_str(&first);
    out.push_str("<Obj RefId=\"x\"><TN RefId=\"0\">");
    for i in 0..5000 {
        out.push_str(&format!(
            "<T>Very.Long.Type.Name.Number.{i:06}.{}</T>",
            "A".repeat(60)
        ));
    }
    out.push_str("</TN><Props><S N=\"Name\">x</S></Props></Obj>");
    let mut i = 0;
    while out.len() < 2_500_000 {
        out.push_str(&format!(
            "<Obj RefId=\"o{i}\"><TNRef RefId=\"0\"/><Props><BA N=\"SerializationData\">{blob}</BA>\
             <S N=\"PSComputerName\">ex01</S></Props></Obj>"
        ));
        for j in 0..200 {
            out.push_str(&format!(
                "<Obj RefId=\"t{i}_{j}\"><TNRef RefId=\"0\"/></Obj>"
            ));
        }
        i += 1;
    }
    out.push_str("</Objs>");
    out
}

#[test]
fn an_adversarial_clixml_stays_within_the_memory_bound() {
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("adversarial.xml");
    let xml = adversarial_clixml();
    std::fs::write(&path, &xml).unwrap();
    let size = u64::try_from(xml.len()).unwrap();
    let out = tmp.path().join("out");
    // GNU time reports the peak of excert alone. getrusage(RUSAGE_CHILDREN)
    // in this process would not: a child started from a large test process
    // inherits its high-water mark across exec.
    let time = std::path::Path::new("/usr/bin/time");
    let peak_file = tmp.path().join("peak");
    let mut cmd = if time.exists() {
        let mut c = std::process::Command::new(time);
        c.arg("-f").arg("%M").arg("-o").arg(&peak_file);
        c.arg(env!("CARGO_BIN_EXE_excert"));
        c
    } else {
        std::process::Command::new(env!("CARGO_BIN_EXE_excert"))
    };
    let run = cmd
        .args(["report", "--inventory"])
        .arg(&path)
        .arg("--out")
        .arg(&out)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&run.stderr);
    // The one real certificate is read; the rest are warnings, capped.
    assert!(
        run.status.success() || run.status.code() == Some(2),
        "{err}"
    );
    assert!(err.contains("more than 100000 members"), "{err}");
    assert!(
        err.contains("more objects with problems not listed"),
        "{err}"
    );
    let bound = 8 * size + (64 << 20);
    match std::fs::read_to_string(&peak_file) {
        Ok(kb) => {
            // GNU time puts "Command exited with non-zero status N" first
            // when excert reports findings; the figure is the last line.
            let last = kb.lines().last().unwrap_or_default().trim();
            let peak = last.parse::<u64>().unwrap() * 1024;
            eprintln!(
                "adversarial CLIXML: {size} bytes, peak RSS {} KB",
                peak / 1024
            );
            assert!(
                peak < bound,
                "peak {peak} bytes for a {size}-byte file; bound {bound}"
            );
        }
        Err(_) if std::env::var_os("EXCERT_REQUIRE_GNU_TIME").is_some() => {
            panic!("GNU time (/usr/bin/time) is required here to measure the peak")
        }
        Err(_) => eprintln!("no /usr/bin/time here: the peak was not measured"),
    }
    let text = std::fs::read_to_string(out.join("scan.json")).unwrap();
    crate::lab_support::assert_schema("scan.schema.json", &serde_json::from_str(&text).unwrap());
    let scan: excert::model::ScanReport = serde_json::from_str(&text).unwrap();
    let inv = scan.inventory.unwrap();
    assert_eq!(inv.certificates.len(), 1);
    assert_eq!(inv.warnings.len(), 101);
}

/// `rows` certificate rows over 500 servers, as Export-Csv writes them.
fn big_csv(rows: usize) -> String {
    let mut out = String::from(
        "#TYPE Selected.Microsoft.Exchange.Management.SystemConfigurationTasks.ExchangeCertificate\r\n\
         \"PSComputerName\",\"FriendlyName\",\"Thumbprint\",\"Services\",\"NotBefore\",\"NotAfter\",\"Subject\",\"Issuer\"\r\n",
    );
    for i in 0..rows {
        out.push_str(&format!(
            "\"ex{:03}.contoso.local\",\"cert {i}\",\"{:040X}\",\"IIS, SMTP\",\"1/1/2025 1:00:00 AM\",\
             \"{}/{}/2027 1:00:00 AM\",\"CN=mail{i}.contoso.com\",\"CN=Contoso CA\"\r\n",
            i % 500,
            i,
            1 + i % 12,
            1 + i % 28
        ));
    }
    out
}

#[test]
fn a_100k_row_csv_is_read_and_merged_in_linear_time() {
    let tmp = tempfile::tempdir().unwrap();
    let mut paths = Vec::new();
    for (name, rows) in [("small.csv", 10_000), ("big.csv", 100_000)] {
        let p = tmp.path().join(name);
        std::fs::write(&p, big_csv(rows)).unwrap();
        paths.push(p);
    }
    let time = |p: &[std::path::PathBuf]| {
        let t = std::time::Instant::now();
        let inv = excert::inventory::load(p).unwrap().unwrap();
        (t.elapsed(), inv)
    };
    let (small, inv) = time(&paths[..1]);
    assert_eq!(inv.certificates.len(), 10_000);
    let (big, inv) = time(&paths[1..]);
    assert_eq!(inv.certificates.len(), 100_000);
    // Both files: the 10,000 shared records merge through a map.
    let (both, inv) = time(&paths);
    assert_eq!(inv.certificates.len(), 100_000);
    assert!(inv.conflicts.is_empty());
    // Linear: ten times the rows take about ten times as long (a quadratic
    // merge would take a hundred); generous for a loaded debug build.
    assert!(
        big < small * 30 + std::time::Duration::from_secs(1),
        "{small:?} then {big:?}"
    );
    // The 10 s budget is for a release build; a debug build is ~8x slower.
    let budget = std::time::Duration::from_secs(if cfg!(debug_assertions) { 60 } else { 10 });
    assert!(big < budget && both < budget, "{big:?} {both:?}");
    eprintln!("10,000 rows {small:?}, 100,000 rows {big:?}, both files {both:?}");
    // Saved scans merge the same way.
    let mut all = inv.clone();
    let t = std::time::Instant::now();
    excert::inventory::merge_saved(&mut all, inv);
    assert!(
        t.elapsed() < std::time::Duration::from_secs(10),
        "{:?}",
        t.elapsed()
    );
    assert_eq!(all.certificates.len(), 100_000);
}

#[test]
fn a_last_row_without_a_line_end_reads_only_when_it_visibly_ends() {
    let head = "Server;Thumbprint;NotAfter\n";
    let row = "ex01;0123456789012345678901234567890123456789;2027-01-01T00:00:00Z";
    // Unquoted: a cut inside the last cell cannot be told from its end.
    let e = parse_file("a.csv", format!("{head}{row}").as_bytes()).unwrap_err();
    assert!(
        matches!(e.problem, Problem::CutRow) && e.line == Some(2),
        "{e}"
    );
    assert!(parse_file("a.csv", format!("{head}{row}\n").as_bytes()).is_ok());
    // Quoted, as Export-Csv writes: the closing quote shows the end.
    let quoted = "\"ex01\";\"0123456789012345678901234567890123456789\";\"2027-01-01T00:00:00Z\"";
    assert!(parse_file("a.csv", format!("{head}{quoted}").as_bytes()).is_ok());
    let cut = &quoted[..quoted.len() - 4];
    assert!(parse_file("a.csv", format!("{head}{cut}").as_bytes()).is_err());
    // An escaped quote at the cut is still inside the cell.
    let subject = "Server;Thumbprint;NotAfter;Subject\n\"ex01\";\"0123456789012345678901234567890123456789\";\"2027-01-01T00:00:00Z\";\"CN=a \"\"b\"\"";
    assert!(parse_file("a.csv", subject.as_bytes()).is_err());
}

#[test]
fn a_real_serialization_data_blob_with_any_byte_changed_never_panics() {
    use base64::Engine;
    for name in [
        "NewExchangeAuthCertificate.xml",
        "GetExchangeCertificateIncomplete.xml",
    ] {
        let text = std::fs::read_to_string(sample_path(name)).unwrap();
        let open = "<BA N=\"SerializationData\">";
        let start = text.find(open).unwrap() + open.len();
        let end = start + text[start..].find("</BA>").unwrap();
        let blob = base64::engine::general_purpose::STANDARD
            .decode(&text[start..end])
            .unwrap();
        assert_eq!(excert::inventory::read_serialization_data(&blob), Ok(true));
        for at in 0..blob.len() {
            for v in [0x00, 0x01, 0x7F, 0x80, 0xFF] {
                let mut b = blob.clone();
                b[at] = v;
                let _ = excert::inventory::read_serialization_data(&b);
            }
        }
    }
}
