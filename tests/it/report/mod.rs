//! Report: scan.json, report.csv, report.html and the terminal, and the files they are written to.
mod evidence;
#[cfg(unix)]
mod file_modes;
mod golden;
mod large;
mod reading;
mod render;
mod schema;
#[cfg(unix)]
mod signals;
