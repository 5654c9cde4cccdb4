//! The commands: one entry function each, called by main.rs.
