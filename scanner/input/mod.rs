//! Reading input files, shared by every stage that takes a file: targets
//! lists, certificate inventories, CA bundles and saved scan.json.
//!
//! Nothing here knows what the file means. It bounds the read ([`files`]),
//! turns bytes into text whatever the encoding PowerShell chose
//! ([`decode`]), splits `Export-Csv` text into records ([`csv_text`]) and
//! loads CA bundles into trust roots ([`ca_bundle`]), so that `analyze`
//! gets its roots as data and never opens a file.

pub mod ca_bundle;
pub mod csv_text;
pub mod decode;
pub mod files;
