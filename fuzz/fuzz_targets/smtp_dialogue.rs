//! Arbitrary bytes as the server's side of an SMTP STARTTLS dialogue
//! (greeting, EHLO reply, STARTTLS reply) into `probe::starttls::smtp`.
//!
//! Beyond "no panic" it checks what the rest of excert relies on: the
//! dialogue ends on a finite peer (a closed stream, a bound or an answer),
//! and what it keeps for scan.json is bounded: a banner of at most
//! `KEPT_CHARS` characters and at most `MAX_REPLY_LINES` EHLO extensions.
#![no_main]

use std::net::{IpAddr, Ipv4Addr};
use std::time::Duration;

use excert::probe::starttls::lines::{KEPT_CHARS, MAX_REPLY_LINES};
use excert::probe::starttls::{smtp, Steps};
use libfuzzer_sys::fuzz_target;
use tokio::io::AsyncWriteExt;
use tokio::time::Instant;

fuzz_target!(|data: &[u8]| {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async {
        let (mut ours, mut theirs) = tokio::io::duplex(64 * 1024);
        let peer = data.to_vec();
        // The peer says everything at once and hangs up; whatever excert
        // writes back is discarded with the stream.
        let server = tokio::spawn(async move {
            let _ = theirs.write_all(&peer).await;
            let _ = theirs.shutdown().await;
        });
        let steps = Steps {
            step: Duration::from_secs(5),
            deadline: Instant::now() + Duration::from_secs(10),
        };
        let mut info = None;
        let local = IpAddr::V4(Ipv4Addr::LOCALHOST);
        let _ = smtp::starttls(&mut ours, local, &steps, &mut info).await;
        drop(ours);
        let _ = server.await;
        if let Some(info) = info {
            assert!(info.banner.chars().count() <= KEPT_CHARS + 4);
            assert!(info.ehlo.len() <= MAX_REPLY_LINES);
            assert!(info.ehlo.iter().all(|e| e.chars().count() <= KEPT_CHARS));
        }
    });
});
