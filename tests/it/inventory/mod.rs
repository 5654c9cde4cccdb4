//! Inventory: certificate store exports read and judged.
mod cli;
mod readers;
