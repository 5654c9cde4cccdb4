//! Report: scan.json, report.csv, report.html and the terminal, and the files they are written to.
mod evidence;
mod golden;
mod large;
mod render;
mod schema;
