//! Analyze: evidence to findings, verdicts and steps, at fixed as-of dates.
mod balancer;
mod mail;
mod ports;
mod real_fleet;
mod rules;
mod store;
mod versions;
