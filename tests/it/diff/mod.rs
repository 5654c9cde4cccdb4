//! Diff and merge: scans compared and segment scans joined.
mod compare;
mod merge;
