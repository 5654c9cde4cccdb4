//! Commands: every PowerShell line excert writes parses, exists and cannot be hijacked.
mod injection;
mod powershell;
