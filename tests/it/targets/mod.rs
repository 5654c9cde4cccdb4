//! Targets: files and flags to endpoints.
mod cli;
mod input;
