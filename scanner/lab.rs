//! The simulated Exchange fleet used by `excert demo` and the tests.
