//! The integration suites, one binary with a module per stage (as ripgrep
//! does): one link instead of one per file, and one place to see what each
//! stage is tested for. Lab servers, `openssl s_server` and the `excert`
//! binary all run from here (each suite takes seconds). Suites that need a
//! program CI installs for them alone (Chromium, Postfix and Dovecot,
//! promtool) or that signal and limit a child under `ulimit` stay separate
//! binaries beside this folder. CONTRIBUTING.md maps every module.
// Tests may panic on what they did not expect: that is how they fail.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

#[path = "../common/mod.rs"]
mod common;
#[path = "../lab_support/mod.rs"]
mod lab_support;
mod openssl_support;
mod ps_support;

mod analyze;
mod architecture;
mod cli;
mod commands;
mod diff;
mod docs;
mod inventory;
mod probe;
mod report;
mod targets;
