//! The binary end to end: exit codes, streams, the demo fleet.
mod balancer;
mod e2e;
mod exit;
mod whole_fleet;
